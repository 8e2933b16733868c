"""Authorization filters (see `steadygraph.storage.auth_filter`, where storage
queries apply them)."""

from steadygraph.storage.auth_filter import (
    BadFilter,
    Filters,
    check_filters,
    filter_clause,
    visible,
)

__all__ = ["BadFilter", "Filters", "check_filters", "filter_clause", "visible"]
