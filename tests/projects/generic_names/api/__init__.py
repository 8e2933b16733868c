"""The user's own `api` package: Steadygraph must not shadow it, nor be shadowed by it."""

GREETING = "hello from the user's api package"
