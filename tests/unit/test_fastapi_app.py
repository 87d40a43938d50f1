"""The FastAPI example on the memory backend: the whole API suite, the error mapping, the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
import pytest_asyncio
from dependency_injector import providers
from examples.fastapi_app.app import create_app
from examples.fastapi_app.dependencies import NotStarted, services
from examples.fastapi_app.errors import error_response
from examples.fastapi_app.tests.client import lifespan_client
from examples.fastapi_app.tests.suite import FastApiAppSuite
from fastapi import FastAPI

from gaia_adapters.container import Container
from gaia_adapters.memory import MemoryConversationStore
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import TickingClock
from gaia_domain.errors import StoreUnavailable, UnitOfWorkError
from gaia_domain.ids import ConversationId, UserId

MEMORY = GaiaSettings(postgres_url=None, mongo_url=None)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(MEMORY, clock=TickingClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC)))
    async with lifespan_client(app) as running:
        yield running


@pytest.fixture
def expected_backend() -> str:
    return "memory"


class TestFastApiAppOnMemory(FastApiAppSuite):
    pass


async def test_each_app_run_starts_from_empty_stores() -> None:
    app = create_app(MEMORY)
    async with lifespan_client(app) as first:
        created = await first.post("/users", json={"email": "once@example.org", "name": "Once"})
        assert created.status_code == 201
    async with lifespan_client(app) as second:  # a new lifespan: a new container, new (empty) memory stores
        response = await second.get(f"/users/{created.json()['id']}")
        assert response.status_code == 404


async def test_a_request_outside_the_lifespan_fails_plainly() -> None:
    app = create_app(MEMORY)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://gaia.test") as client:
        with pytest.raises(NotStarted, match="lifespan is not running"):
            await client.get("/users/01900000-0000-7000-8000-000000000000")


def _app_whose_conversations_fail(error: Exception) -> FastAPI:
    app = create_app(MEMORY)

    async def failing(*_: object, **__: object) -> None:
        raise error

    stub = SimpleNamespace(conversations=SimpleNamespace(list=failing, stats=failing))
    app.dependency_overrides[services] = lambda: stub  # FastAPI's own way to swap a dependency in tests
    return app


async def test_store_unavailable_is_503_with_retry_after_and_no_password() -> None:
    app = _app_whose_conversations_fail(
        StoreUnavailable("mongodb", "ServerSelectionTimeoutError: mongodb://gaia:pa55word@db.internal:27017/ refused")
    )
    async with lifespan_client(app) as client:
        response = await client.get("/users/01900000-0000-7000-8000-000000000000/conversations")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "error": "store_unavailable",
        "store": "mongodb",
        "detail": "mongodb unavailable: ServerSelectionTimeoutError: mongodb://gaia:***@db.internal:27017/ refused",
    }


async def test_a_unit_of_work_misuse_is_500_not_the_clients_fault() -> None:
    app = _app_whose_conversations_fail(UnitOfWorkError("operation on a closed unit of work"))
    async with lifespan_client(app) as client:
        response = await client.get("/users/01900000-0000-7000-8000-000000000000/stats")
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "detail": "operation on a closed unit of work"}


def test_error_response_masks_urls_in_any_domain_error() -> None:
    response = error_response(UnitOfWorkError("postgresql://u:hunter2@h/db"))
    assert b"hunter2" not in response.body
    assert b"postgresql://u:***@h/db" in response.body


async def test_openapi_documents_every_route() -> None:
    app = create_app(MEMORY)
    async with lifespan_client(app) as client:
        schema = (await client.get("/openapi.json")).json()
    routes = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert routes == {
        ("GET", "/health"),
        ("POST", "/users"),
        ("GET", "/users/{user_id}"),
        ("DELETE", "/users/{user_id}"),
        ("PATCH", "/users/{user_id}/profile"),
        ("PATCH", "/users/{user_id}/onboarding"),
        ("POST", "/users/{user_id}/conversations"),
        ("GET", "/users/{user_id}/conversations"),
        ("GET", "/users/{user_id}/conversations/{conversation_id}"),
        ("DELETE", "/users/{user_id}/conversations/{conversation_id}"),
        ("PUT", "/users/{user_id}/conversations/{conversation_id}/description"),
        ("PUT", "/users/{user_id}/conversations/{conversation_id}/starred"),
        ("PUT", "/users/{user_id}/conversations/{conversation_id}/read"),
        ("POST", "/users/{user_id}/conversations/{conversation_id}/messages"),
        ("GET", "/users/{user_id}/conversations/{conversation_id}/messages"),
        ("PATCH", "/users/{user_id}/conversations/{conversation_id}/messages/{message_id}"),
        ("PUT", "/users/{user_id}/conversations/{conversation_id}/messages/{message_id}/pinned"),
        ("GET", "/users/{user_id}/pinned"),
        ("GET", "/users/{user_id}/search"),
        ("GET", "/users/{user_id}/stats"),
        ("POST", "/users/{user_id}/goals"),
        ("GET", "/users/{user_id}/goals"),
        ("GET", "/users/{user_id}/goals/{goal_id}"),
        ("PATCH", "/users/{user_id}/goals/{goal_id}"),
        ("DELETE", "/users/{user_id}/goals/{goal_id}"),
        ("POST", "/users/{user_id}/goals/{goal_id}/complete"),
    }
    user_out = schema["components"]["schemas"]["UserOut"]
    assert user_out["properties"]["created_at"]["type"] == "string"  # ISO 8601 with an offset


async def test_configure_overrides_a_provider_before_startup() -> None:
    store = MemoryConversationStore()

    def use_my_store(container: Container) -> None:
        container.conversation_store.override(providers.Object(store))

    app = create_app(MEMORY, configure=use_my_store)
    async with lifespan_client(app) as client:
        user = (await client.post("/users", json={"email": "own@example.org", "name": "Own"})).json()
        started = (await client.post(f"/users/{user['id']}/conversations", json={"description": "Mine"})).json()
    stored = await store.get(UserId.parse(user["id"]), ConversationId.parse(started["id"]))
    assert stored.description == "Mine"
