"""The user's own `activities` package (the name of one of Steadygraph's folders)."""


class RunActivities:
    """Same class name as Steadygraph's, so a mix-up cannot pass unnoticed."""

    origin = "user"
