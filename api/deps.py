"""FastAPI dependencies: what routes take besides the request itself.

The Services object and LangGraph's store are made in the app's lifespan.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from langgraph.store.base import BaseStore

from steadygraph.services import Services


async def get_services(request: Request) -> Services:
    # `async def` though nothing is awaited: FastAPI runs a plain `def`
    # dependency in a worker thread, a thread hop on every request.
    return request.app.state.context


async def get_store(request: Request) -> BaseStore:
    return request.app.state.store


# Routes take `ctx: Ctx` and, for the store routes, `store: Store`.
Ctx = Annotated[Services, Depends(get_services)]
Store = Annotated[BaseStore, Depends(get_store)]
