"""An httpx client on the app through the ASGI transport, with the app's lifespan running around it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI


@asynccontextmanager
async def lifespan_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app (its lifespan opens the container's resources), yield a client, then shut it down.

    httpx's ASGI transport sends requests only, no lifespan events, so the lifespan is entered here as a
    server would: before the first request, left after the last.
    """
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gaia.test") as client:
            yield client
