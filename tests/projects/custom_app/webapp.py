"""A user's own FastAPI app, served beside Steadygraph's routes by `http.app`."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.started = True
    yield


app = FastAPI(lifespan=lifespan)


class Stamp(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers["x-user-middleware"] = "ran"
        return response


app.add_middleware(Stamp)


@app.get("/hello")
async def hello(request: Request) -> dict[str, object]:
    return {
        "greeting": os.environ["CUSTOM_APP_GREETING"],
        "lifespan_ran": getattr(request.app.state, "started", False),
    }


@app.post("/echo-text")
async def echo_text(request: Request) -> dict[str, str]:
    # The user's routes get their request as sent: no text/plain rewriting.
    return {
        "content_type": request.headers["content-type"],
        "body": (await request.body()).decode(),
    }
