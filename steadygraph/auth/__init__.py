"""Custom authentication and authorization, as LangGraph Server's `Auth`.

Services call `authorize(resource, action, value)` before acting and apply the
filter it returns with `visible` (one object: hidden is 404) or
`filter_clause` (searches and counts, in SQL).
"""

from steadygraph.auth.authorize import AuthRejected, authorize
from steadygraph.auth.context import Caller, acting_as, current_caller
from steadygraph.auth.filters import Filters, filter_clause, visible
from steadygraph.auth.users import AuthUser

__all__ = [
    "AuthRejected",
    "AuthUser",
    "Caller",
    "Filters",
    "acting_as",
    "authorize",
    "current_caller",
    "filter_clause",
    "visible",
]
