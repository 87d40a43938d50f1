"""The application: the container's resources live as long as the app (opened and closed by the lifespan).

* ``create_app(settings)`` builds an app over the given settings (default: the ``GAIA_`` environment, so
  ``GAIA_POSTGRES_URL`` / ``GAIA_MONGO_URL`` select the real databases, the memory backend otherwise).
* The lifespan opens the engine and the Mongo client inside the server's event loop and closes them
  exactly once at shutdown; requests receive the application services through a dependency.
* Each request that writes PostgreSQL data does it through one service call, which opens and commits its
  own unit of work; nothing here touches a session, a transaction or a driver.

Run it with ``uvicorn examples.fastapi_app.app:app`` or ``python -m examples.fastapi_app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from examples.fastapi_app import errors
from examples.fastapi_app.routes import conversations, goals, messages, users
from gaia_adapters.container import Container, build_container, running
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import Clock


def create_app(
    settings: GaiaSettings | None = None,
    *,
    clock: Clock | None = None,
    configure: Callable[[Container], None] | None = None,
) -> FastAPI:
    """An app over ``settings`` (read from the environment at startup when None).

    ``configure`` is called with the container before its resources open: the place to override providers
    (``container.conversation_store.override(providers.Object(store))``) or register event handlers.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        chosen = settings if settings is not None else GaiaSettings()
        container = build_container(chosen, clock=clock)
        if configure is not None:
            configure(container)
        async with running(container) as services:  # resources opened in this loop, closed once on exit
            app.state.services = services
            app.state.backend = chosen.backend
            try:
                yield
            finally:
                del app.state.services  # a request after shutdown fails plainly instead of using closed clients

    app = FastAPI(
        title="gaia-domain example",
        summary="Users, conversations, messages and goals over gaia-domain's application services.",
        lifespan=lifespan,
    )
    errors.install(app)
    for router in (users.router, conversations.router, messages.router, goals.router):
        app.include_router(router)

    @app.get("/health", tags=["health"])
    async def health(request: Request) -> dict[str, str]:
        """Liveness, and which backend serves the data (memory, postgres, mongo or postgres+mongo)."""
        return {"status": "ok", "backend": str(request.app.state.backend)}

    return app


app = create_app()
