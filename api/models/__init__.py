"""Response shapes of the API, one module per resource (documentation only).

Responses are built as plain dicts by the services and only described here, so
a shape is never silently filtered. Request bodies are validated models that
live with their service (`steadygraph.<resource>.request`).
"""
