"""The API's access to the shared clients, through a FastAPI dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from steadygraph.services import Services

# Routes take `ctx: Ctx`; the Services object is made in the app's lifespan.
AppContext = Services


def _context(request: Request) -> Services:
    return request.app.state.context


Ctx = Annotated[Services, Depends(_context)]
