"""The user's own `workflows` package."""


def double(value: int) -> int:
    return value * 2
