"""The container's mongo backend: a Motor or PyMongo client opened in the loop, closed exactly once (K11)."""

from __future__ import annotations

import pytest

from gaia_adapters.container import build_container, resolve, running, shutdown
from gaia_adapters.mongo.client import is_closed
from gaia_adapters.mongo.conversation_store import MongoConversationStore
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import TickingClock
from gaia_domain.conversations import Role
from gaia_domain.services.conversations import NewMessage

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("driver", ["pymongo", "motor"])
async def test_mongo_backend_runs_the_services_and_closes_the_client_once(
    mongo_settings: GaiaSettings, driver: str
) -> None:
    if driver == "motor":
        pytest.importorskip("motor.motor_asyncio")
    settings = mongo_settings.model_copy(update={"mongo_driver": driver})
    container = build_container(settings, clock=TickingClock())
    async with running(container) as app:
        store = await resolve(container.conversation_store)
        assert isinstance(store, MongoConversationStore)
        client = await resolve(container.mongo_client)
        assert type(client).__module__.split(".")[0] == driver
        user = await app.users.register(email="mongo-container@example.org", name="Ada")
        started = await app.conversations.start(user.id, description="From the container")
        await app.conversations.send_messages(user.id, started.id, [NewMessage(role=Role.USER, content="hi")])
        page = await app.conversations.list(user.id)
        assert (started.id, 1) in [(s.id, s.message_count) for s in page.items]  # beside any welcome conversation
        await store.delete_all_for_user(user.id)
    assert is_closed(client)
    await shutdown(container)  # a second shutdown is a no-op
    assert is_closed(client)
