"""The example API's behaviour, asserted by value: status codes and bodies.

A test module subclasses :class:`FastApiAppSuite` and provides the ``client`` fixture: an ``httpx.AsyncClient``
on a running app over EMPTY stores (``lifespan_client(create_app(...))``). The same tests then run on the
memory backend (tests/unit/test_fastapi_app.py) and on PostgreSQL + MongoDB
(tests/integration/test_fastapi_app_databases.py).

Registering a user may start a system-generated welcome conversation (an outbox handler); the tests tell
their own conversations apart from it instead of assuming there is none.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

Json = dict[str, Any]
MISSING_USER = "01900000-0000-7000-8000-000000000000"
MISSING_HEX = "0" * 24
ROADMAP = {
    "nodes": [
        {"id": "a", "label": "Run 5 km"},
        {"id": "b", "label": "Run 10 km", "estimated_time": "4 weeks"},
        {"id": "c", "label": "Run 21 km", "resources": ["https://example.org/plan"]},
    ],
    "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}],
}


def error(response: httpx.Response, status: int, kind: str) -> Json:
    assert response.status_code == status, response.text
    body: Json = response.json()
    assert body["error"] == kind, body
    return body


def invalid(response: httpx.Response, field: str) -> Json:
    body = error(response, 422, "invalid_input")
    assert body["field"] == field, body
    assert body["reason"], body
    assert body["detail"] == f"{field}: {body['reason']}"
    return body


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


async def register(client: httpx.AsyncClient, email: str, name: str = "Ada") -> Json:
    body: Json = ok(await client.post("/users", json={"email": email, "name": name}), 201)
    return body


async def start(client: httpx.AsyncClient, user: Json, description: str, **fields: Any) -> Json:
    body: Json = ok(
        await client.post(f"/users/{user['id']}/conversations", json={"description": description, **fields}), 201
    )
    return body


async def send(client: httpx.AsyncClient, user: Json, conversation: Json, *messages: Json) -> list[Json]:
    url = f"/users/{user['id']}/conversations/{conversation['id']}/messages"
    sent: list[Json] = ok(await client.post(url, json={"messages": list(messages)}), 201)
    return sent


async def walk(client: httpx.AsyncClient, url: str, limit: int, **params: Any) -> list[list[str]]:
    """Every page of a keyset list, following ``next_cursor``: the ids of each page."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        page = ok(await client.get(url, params=query))
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "the cursor never ends"


async def own_conversations(client: httpx.AsyncClient, user: Json) -> list[Json]:
    """The user's conversations that are not system-generated (welcome conversations are)."""
    page = ok(await client.get(f"/users/{user['id']}/conversations", params={"limit": 200}))
    return [item for item in page["items"] if not item["is_system_generated"]]


class FastApiAppSuite:
    # --- users -------------------------------------------------------------------------------------------------

    async def test_health_names_the_backend(self, client: httpx.AsyncClient, expected_backend: str) -> None:
        assert ok(await client.get("/health")) == {"status": "ok", "backend": expected_backend}

    async def test_register_then_get_returns_the_same_user(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/users", json={"email": " Ada.Lovelace@Example.org ", "name": "Ada", "timezone": "Europe/London"}
        )
        created = ok(response, 201)
        assert response.headers["location"] == f"/users/{created['id']}"
        assert uuid.UUID(created["id"]).version == 7
        assert created["email"] == "Ada.Lovelace@Example.org"
        assert (created["name"], created["timezone"], created["picture_url"]) == ("Ada", "Europe/London", None)
        assert created["onboarding"] == {
            "phase": "initial",
            "preferences": {"profession": None, "response_style": None, "custom_instructions": None},
            "completed_at": None,
        }
        assert created["version"] == 1
        assert created["created_at"].endswith("+00:00")
        assert len(created["created_at"]) == len("2026-01-01T00:00:00.000+00:00")
        assert ok(await client.get(f"/users/{created['id']}")) == created

    async def test_a_taken_email_in_any_letter_case_is_409(self, client: httpx.AsyncClient) -> None:
        await register(client, "grace@example.org")
        body = error(
            await client.post("/users", json={"email": "GRACE@example.ORG", "name": "G"}), 409, "duplicate_email"
        )
        assert body["field"] == "email"

    async def test_bad_registrations_are_422_naming_the_field(self, client: httpx.AsyncClient) -> None:
        invalid(await client.post("/users", json={"email": "not-an-address", "name": "Ada"}), "email")
        invalid(await client.post("/users", json={"email": "a@example.org"}), "name")
        invalid(await client.post("/users", json={"email": "a@example.org", "name": 5}), "name")
        invalid(await client.post("/users", json={"email": "a@example.org", "name": "A", "admin": True}), "admin")
        invalid(
            await client.post("/users", json={"email": "a@example.org", "name": "A", "timezone": "Mars/Base"}),
            "timezone",
        )
        invalid(await client.post("/users", content=b"{not json", headers={"content-type": "application/json"}), "body")
        # Nothing of it was stored: the address is still free.
        await register(client, "a@example.org")

    async def test_profile_and_onboarding_updates(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "lin@example.org", "Lin")
        url = f"/users/{user['id']}"
        updated = ok(await client.patch(f"{url}/profile", json={"name": "Lin Yu", "timezone": "Asia/Taipei"}))
        assert (updated["name"], updated["timezone"], updated["version"]) == ("Lin Yu", "Asia/Taipei", 2)
        assert updated["updated_at"] > user["updated_at"]
        onboarded = ok(
            await client.patch(
                f"{url}/onboarding",
                json={"phase": "personalization_complete", "preferences": {"profession": "Engineer"}},
            )
        )
        assert onboarded["onboarding"]["phase"] == "personalization_complete"
        assert onboarded["onboarding"]["preferences"]["profession"] == "Engineer"
        assert onboarded["version"] == 3
        assert ok(await client.get(url)) == onboarded

    async def test_bad_updates_are_422_and_change_nothing(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "kim@example.org", "Kim")
        url = f"/users/{user['id']}"
        invalid(await client.patch(f"{url}/profile", json={"timezone": "Nowhere/Town"}), "timezone")
        invalid(await client.patch(f"{url}/profile", json={"picture_url": "ftp://x.example/p.png"}), "picture_url")
        invalid(
            await client.patch(f"{url}/onboarding", json={"preferences": {"profession": "x" * 51}}),
            "preferences.profession",
        )
        invalid(await client.patch(f"{url}/onboarding", json={"phase": "finished"}), "onboarding.phase")
        assert ok(await client.get(url)) == user

    async def test_unknown_and_malformed_user_ids(self, client: httpx.AsyncClient) -> None:
        body = error(await client.get(f"/users/{MISSING_USER}"), 404, "not_found")
        assert body["entity"] == "user"
        error(await client.patch(f"/users/{MISSING_USER}/profile", json={"name": "X"}), 404, "not_found")
        error(await client.delete(f"/users/{MISSING_USER}"), 404, "not_found")
        invalid(await client.get("/users/not-a-uuid"), "user_id")

    async def test_deleting_a_user_removes_their_goals_and_conversations(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "gone@example.org", "Gone")
        conversation = await start(client, user, "Soon gone")
        goal = ok(await client.post(f"/users/{user['id']}/goals", json={"title": "Soon gone"}), 201)
        other = await register(client, "stays@example.org", "Stays")
        kept = await start(client, other, "Kept")
        assert ok(await client.delete(f"/users/{user['id']}"), 204) is None
        error(await client.get(f"/users/{user['id']}"), 404, "not_found")
        error(await client.get(f"/users/{user['id']}/goals/{goal['id']}"), 404, "not_found")
        error(await client.get(f"/users/{user['id']}/conversations/{conversation['id']}"), 404, "not_found")
        assert ok(await client.get(f"/users/{user['id']}/conversations"))["items"] == []
        assert ok(await client.get(f"/users/{other['id']}/conversations/{kept['id']}"))["description"] == "Kept"
        # The address is free again.
        await register(client, "GONE@example.org")

    # --- conversations ---------------------------------------------------------------------------------------------

    async def test_start_and_get_a_conversation(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "ana@example.org", "Ana")
        started = await start(
            client,
            user,
            "Weekend in Lisbon",
            source="mobile",
            messages=[
                {"role": "user", "content": "Plan a weekend in Lisbon"},
                {
                    "role": "assistant",
                    "content": "Day 1: Alfama…",
                    "tool_data": [{"tool_name": "maps", "data": {"q": "Alfama"}}],
                },
            ],
        )
        assert (started["description"], started["source"], started["message_count"]) == (
            "Weekend in Lisbon",
            "mobile",
            2,
        )
        assert (started["starred"], started["unread"], started["is_system_generated"]) == (False, False, False)
        assert [(m["role"], m["content"]) for m in started["messages"]] == [
            ("user", "Plan a weekend in Lisbon"),
            ("assistant", "Day 1: Alfama…"),
        ]
        assert started["messages"][1]["tool_data"] == [{"tool_name": "maps", "data": {"q": "Alfama"}, "category": None}]
        assert started["user_id"] == user["id"]
        fetched = ok(await client.get(f"/users/{user['id']}/conversations/{started['id']}"))
        assert fetched == started

    async def test_start_for_an_unknown_user_is_404_and_bad_input_is_422(self, client: httpx.AsyncClient) -> None:
        error(await client.post(f"/users/{MISSING_USER}/conversations", json={}), 404, "not_found")
        user = await register(client, "bo@example.org", "Bo")
        url = f"/users/{user['id']}/conversations"
        invalid(await client.post(url, json={"source": "fax"}), "source")
        invalid(await client.post(url, json={"description": "x" * 201}), "description")
        invalid(await client.post(url, json={"messages": [{"role": "bot", "content": "hi"}]}), "message.role")
        invalid(await client.post(url, json={"messages": [{"role": "user"}]}), "messages.0.content")
        invalid(
            await client.post(
                url, json={"messages": [{"role": "user", "content": "x", "created_at": "2026-01-01T10:00:00"}]}
            ),
            "message.created_at",
        )
        assert await own_conversations(client, user) == []

    async def test_get_with_last_n_returns_only_the_newest_messages(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "cy@example.org", "Cy")
        messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i}"} for i in range(5)]
        started = await start(client, user, "Five", messages=messages)
        url = f"/users/{user['id']}/conversations/{started['id']}"
        last_two = ok(await client.get(url, params={"last_messages": 2}))
        assert [m["content"] for m in last_two["messages"]] == ["m3", "m4"]
        assert last_two["message_count"] == 5
        invalid(await client.get(url, params={"last_messages": 0}), "last_messages")
        invalid(await client.get(url, params={"last_messages": "many"}), "last_messages")

    async def test_list_walks_every_conversation_once_newest_activity_first(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "dee@example.org", "Dee")
        created = [await start(client, user, f"Chat {i}") for i in range(7)]
        # Activity moves the oldest conversation to the front.
        await send(client, user, created[0], {"role": "user", "content": "bump"})
        url = f"/users/{user['id']}/conversations"
        pages = await walk(client, url, limit=3)
        walked = [conversation_id for page in pages for conversation_id in page]
        assert len(walked) == len(set(walked))
        assert all(len(page) == 3 for page in pages[:-1])
        mine = [conversation_id for conversation_id in walked if conversation_id in {c["id"] for c in created}]
        assert mine == [created[0]["id"]] + [c["id"] for c in reversed(created[1:])]
        others = ok(await client.get(url, params={"limit": 200}))["items"]
        assert all(item["is_system_generated"] for item in others if item["id"] not in mine)

    async def test_list_filters_and_bad_paging_parameters(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "eve@example.org", "Eve")
        web = await start(client, user, "On the web")
        phone = await start(client, user, "On the phone", source="mobile")
        url = f"/users/{user['id']}/conversations"
        assert ok(await client.put(f"{url}/{web['id']}/starred", json={"starred": True}), 204) is None
        starred = ok(await client.get(url, params={"starred": "true"}))
        assert [item["id"] for item in starred["items"]] == [web["id"]]
        assert starred["next_cursor"] is None
        mobile = ok(await client.get(url, params={"source": "mobile"}))
        assert [item["id"] for item in mobile["items"]] == [phone["id"]]
        invalid(await client.get(url, params={"source": "fax"}), "source")
        invalid(await client.get(url, params={"limit": 0}), "limit")
        invalid(await client.get(url, params={"limit": 201}), "limit")
        invalid(await client.get(url, params={"limit": "ten"}), "limit")
        invalid(await client.get(url, params={"cursor": "not-a-cursor"}), "cursor")
        goals_cursor = await self._goals_cursor(client, user)
        invalid(await client.get(url, params={"cursor": goals_cursor}), "cursor")  # a cursor of another list

    async def _goals_cursor(self, client: httpx.AsyncClient, user: Json) -> str:
        for title in ("One", "Two"):
            ok(await client.post(f"/users/{user['id']}/goals", json={"title": title}), 201)
        cursor: str = ok(await client.get(f"/users/{user['id']}/goals", params={"limit": 1}))["next_cursor"]
        assert cursor
        return cursor

    async def test_rename_star_and_read(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "fay@example.org", "Fay")
        started = await start(client, user, "Draft")
        url = f"/users/{user['id']}/conversations/{started['id']}"
        assert ok(await client.put(f"{url}/description", json={"description": "  Trip plans  "}), 204) is None
        assert ok(await client.put(f"{url}/starred", json={"starred": True}), 204) is None
        assert ok(await client.put(f"{url}/read", json={"read": False}), 204) is None
        fetched = ok(await client.get(url))
        assert (fetched["description"], fetched["starred"], fetched["unread"]) == ("Trip plans", True, True)
        assert fetched["updated_at"] == started["updated_at"]  # metadata changes are not activity
        invalid(await client.put(f"{url}/description", json={"description": "   "}), "description")
        invalid(await client.put(f"{url}/starred", json={"starred": "maybe"}), "starred")
        assert ok(await client.get(url)) == fetched

    async def test_someone_elses_conversation_is_404_and_stays_unchanged(self, client: httpx.AsyncClient) -> None:
        owner = await register(client, "gus@example.org", "Gus")
        intruder = await register(client, "hal@example.org", "Hal")
        theirs = await start(client, owner, "Private", messages=[{"role": "user", "content": "secret"}])
        message_id = theirs["messages"][0]["id"]
        foreign = f"/users/{intruder['id']}/conversations/{theirs['id']}"
        error(await client.get(foreign), 404, "not_found")
        error(await client.put(f"{foreign}/description", json={"description": "Mine now"}), 404, "not_found")
        error(await client.put(f"{foreign}/starred", json={"starred": True}), 404, "not_found")
        error(
            await client.post(f"{foreign}/messages", json={"messages": [{"role": "user", "content": "hi"}]}),
            404,
            "not_found",
        )
        error(await client.get(f"{foreign}/messages"), 404, "not_found")
        error(await client.patch(f"{foreign}/messages/{message_id}", json={"content": "changed"}), 404, "not_found")
        error(await client.put(f"{foreign}/messages/{message_id}/pinned", json={"pinned": True}), 404, "not_found")
        error(await client.delete(foreign), 404, "not_found")
        assert ok(await client.get(f"/users/{owner['id']}/conversations/{theirs['id']}")) == theirs
        invalid(await client.get(f"/users/{owner['id']}/conversations/not-hex"), "conversation_id")
        error(await client.get(f"/users/{owner['id']}/conversations/{MISSING_HEX}"), 404, "not_found")

    async def test_delete_a_conversation(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "ivy@example.org", "Ivy")
        doomed, kept = await start(client, user, "Doomed"), await start(client, user, "Kept")
        url = f"/users/{user['id']}/conversations"
        assert ok(await client.delete(f"{url}/{doomed['id']}"), 204) is None
        error(await client.get(f"{url}/{doomed['id']}"), 404, "not_found")
        error(await client.delete(f"{url}/{doomed['id']}"), 404, "not_found")
        assert [c["id"] for c in await own_conversations(client, user)] == [kept["id"]]

    # --- messages --------------------------------------------------------------------------------------------------

    async def test_send_and_page_messages_newest_first(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "jo@example.org", "Jo")
        conversation = await start(client, user, "Counting")
        sent = await send(client, user, conversation, *({"role": "user", "content": f"n{i}"} for i in range(7)))
        assert [m["content"] for m in sent] == [f"n{i}" for i in range(7)]
        url = f"/users/{user['id']}/conversations/{conversation['id']}/messages"
        first = ok(await client.get(url, params={"limit": 3}))
        assert [m["content"] for m in first["items"]] == ["n6", "n5", "n4"]
        # A message sent between two pages neither shifts nor repeats the older pages.
        await send(client, user, conversation, {"role": "assistant", "content": "late"})
        second = ok(await client.get(url, params={"limit": 3, "cursor": first["next_cursor"]}))
        assert [m["content"] for m in second["items"]] == ["n3", "n2", "n1"]
        third = ok(await client.get(url, params={"limit": 3, "cursor": second["next_cursor"]}))
        assert ([m["content"] for m in third["items"]], third["next_cursor"]) == (["n0"], None)
        fetched = ok(await client.get(f"/users/{user['id']}/conversations/{conversation['id']}"))
        assert fetched["message_count"] == 8
        assert fetched["updated_at"] == fetched["messages"][-1]["created_at"]
        other = await start(
            client, user, "Other", messages=[{"role": "user", "content": "x"}, {"role": "user", "content": "y"}]
        )
        other_cursor = ok(
            await client.get(f"/users/{user['id']}/conversations/{other['id']}/messages", params={"limit": 1})
        )
        invalid(await client.get(url, params={"cursor": other_cursor["next_cursor"]}), "cursor")

    async def test_a_repeated_message_id_is_409_and_nothing_is_appended(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "kai@example.org", "Kai")
        conversation = await start(client, user, "Retry")
        fixed = "65f1c0de8a9b4c2d1e0f3a4b"
        await send(client, user, conversation, {"role": "user", "content": "once", "message_id": fixed})
        url = f"/users/{user['id']}/conversations/{conversation['id']}/messages"
        again = {
            "messages": [{"role": "user", "content": "new"}, {"role": "user", "content": "twice", "message_id": fixed}]
        }
        error(await client.post(url, json=again), 409, "already_exists")
        page = ok(await client.get(url))
        assert [m["content"] for m in page["items"]] == ["once"]
        invalid(await client.post(url, json={"messages": []}), "messages")
        invalid(
            await client.post(url, json={"messages": [{"role": "user", "content": "x", "message_id": "xyz"}]}),
            "message_id",
        )

    async def test_edit_and_pin_messages(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "lee@example.org", "Lee")
        conversation = await start(client, user, "Notes", messages=[{"role": "user", "content": "draft"}])
        message = conversation["messages"][0]
        url = f"/users/{user['id']}/conversations/{conversation['id']}/messages/{message['id']}"
        assert ok(await client.patch(url, json={"content": "final"}), 204) is None
        assert ok(await client.put(f"{url}/pinned", json={"pinned": True}), 204) is None
        stored = ok(await client.get(f"/users/{user['id']}/conversations/{conversation['id']}"))["messages"][0]
        assert (stored["content"], stored["pinned"], stored["created_at"]) == ("final", True, message["created_at"])
        assert stored["edited_at"] is not None
        assert stored["edited_at"] > message["created_at"]
        pinned = ok(await client.get(f"/users/{user['id']}/pinned"))
        assert pinned == [
            {"conversation_id": conversation["id"], "conversation_description": "Notes", "message": stored}
        ]
        assert ok(await client.put(f"{url}/pinned", json={"pinned": False}), 204) is None
        assert ok(await client.get(f"/users/{user['id']}/pinned")) == []
        invalid(await client.patch(url, json={"content": "x" * 100_001}), "message.content")
        invalid(await client.patch(url, json={}), "content")
        missing = f"/users/{user['id']}/conversations/{conversation['id']}/messages/{MISSING_HEX}"
        error(await client.patch(missing, json={"content": "x"}), 404, "not_found")

    async def test_search_is_literal_and_case_insensitive(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "max@example.org", "Max")
        lisbon = await start(client, user, "Weekend in LISBON", messages=[{"role": "user", "content": "hello"}])
        regex = await start(
            client,
            user,
            "Patterns",
            messages=[{"role": "user", "content": "no match here"}, {"role": "user", "content": "cost: $5.00 (a.*b)"}],
        )
        url = f"/users/{user['id']}/search"
        hits = ok(await client.get(url, params={"text": "lisbon"}))
        assert [(h["conversation"]["id"], h["description_matches"], h["message_ids"]) for h in hits] == [
            (lisbon["id"], True, [])
        ]
        hits = ok(await client.get(url, params={"text": "(A.*B)"}))
        assert [(h["conversation"]["id"], h["message_ids"]) for h in hits] == [
            (regex["id"], [regex["messages"][1]["id"]])
        ]
        assert ok(await client.get(url, params={"text": "a.*z"})) == []
        invalid(await client.get(url, params={"text": ""}), "text")
        invalid(await client.get(url), "text")

    # --- goals -----------------------------------------------------------------------------------------------------

    async def test_goal_lifecycle(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "ned@example.org", "Ned")
        url = f"/users/{user['id']}/goals"
        created = ok(await client.post(url, json={"title": "Half marathon", "roadmap": ROADMAP}), 201)
        assert (created["title"], created["progress"], created["version"], created["completed_at"]) == (
            "Half marathon",
            0,
            1,
            None,
        )
        assert [n["id"] for n in created["roadmap"]["nodes"]] == ["a", "b", "c"]
        assert created["roadmap"]["nodes"][1]["estimated_time"] == "4 weeks"
        assert ok(await client.get(f"{url}/{created['id']}")) == created
        progress = []
        for node in ("a", "b", "b", "c"):  # completing a node twice changes nothing
            done = ok(await client.post(f"{url}/{created['id']}/complete", json={"node_id": node}))
            progress.append(done["progress"])
        assert progress == [33, 66, 66, 100]
        assert done["completed_at"] is not None
        assert ok(await client.get(f"{url}/{created['id']}")) == done
        error(await client.post(f"{url}/{created['id']}/complete", json={"node_id": "z"}), 404, "not_found")
        assert ok(await client.delete(f"{url}/{created['id']}"), 204) is None
        error(await client.get(f"{url}/{created['id']}"), 404, "not_found")
        error(await client.delete(f"{url}/{created['id']}"), 404, "not_found")

    async def test_goal_pages_newest_first(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "ola@example.org", "Ola")
        url = f"/users/{user['id']}/goals"
        created = [ok(await client.post(url, json={"title": f"Goal {i}"}), 201)["id"] for i in range(5)]
        pages = await walk(client, url, limit=2)
        assert pages == [created[4:2:-1], created[2:0:-1], created[:1]]

    async def test_bad_goals_are_422_and_unknown_or_foreign_goals_are_404(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "pat@example.org", "Pat")
        other = await register(client, "quinn@example.org", "Quinn")
        url = f"/users/{user['id']}/goals"
        cyclic = {
            "nodes": ROADMAP["nodes"],
            "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "a"}],
        }
        invalid(await client.post(url, json={"title": "Loop", "roadmap": cyclic}), "roadmap.edges")
        invalid(await client.post(url, json={"title": "x" * 201}), "title")
        invalid(await client.post(url, json={"title": "T", "conversation_id": "nope"}), "conversation_id")
        invalid(await client.post(url, json={"roadmap": ROADMAP}), "title")
        assert ok(await client.get(url))["items"] == []
        error(await client.post(f"/users/{MISSING_USER}/goals", json={"title": "Orphan"}), 404, "not_found")
        goal = ok(await client.post(url, json={"title": "Mine"}), 201)
        foreign = f"/users/{other['id']}/goals/{goal['id']}"
        error(await client.get(foreign), 404, "not_found")
        error(await client.post(f"{foreign}/complete", json={"node_id": "a"}), 404, "not_found")
        error(await client.patch(foreign, json={"title": "Stolen"}), 404, "not_found")
        error(await client.delete(foreign), 404, "not_found")
        assert ok(await client.get(f"{url}/{goal['id']}")) == goal
        invalid(await client.get(f"{url}/not-a-uuid"), "goal_id")

    async def test_a_stale_goal_edit_is_409(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "rae@example.org", "Rae")
        url = f"/users/{user['id']}/goals"
        goal = ok(await client.post(url, json={"title": "Learn Portuguese"}), 201)
        edited = ok(
            await client.patch(f"{url}/{goal['id']}", json={"title": "Learn Portuguese (A2)", "expected_version": 1})
        )
        assert (edited["title"], edited["version"]) == ("Learn Portuguese (A2)", 2)
        stale = await client.patch(f"{url}/{goal['id']}", json={"title": "Overwrite", "expected_version": 1})
        body = error(stale, 409, "concurrency_conflict")
        assert body["entity"] == "goal"
        assert ok(await client.get(f"{url}/{goal['id']}")) == edited

    # --- stats -----------------------------------------------------------------------------------------------------

    async def test_stats_count_what_was_sent(self, client: httpx.AsyncClient) -> None:
        user = await register(client, "sol@example.org", "Sol")
        before = ok(await client.get(f"/users/{user['id']}/stats"))
        day1, day2 = "2025-06-01T10:00:00.000+00:00", "2025-06-02T23:59:59.999+00:00"
        await start(
            client,
            user,
            "Tools",
            messages=[
                {"role": "user", "content": "weather?", "created_at": day1},
                {
                    "role": "assistant",
                    "content": "sunny",
                    "created_at": day1,
                    "pinned": True,
                    "tool_data": [{"tool_name": "weather", "data": {}}, {"tool_name": "search", "data": {}}],
                },
            ],
        )
        await start(
            client,
            user,
            "More",
            messages=[
                {
                    "role": "tool",
                    "content": "{}",
                    "created_at": day2,
                    "tool_data": [{"tool_name": "weather", "data": {}}],
                }
            ],
        )
        after = ok(await client.get(f"/users/{user['id']}/stats"))
        assert after["conversations"] - before["conversations"] == 2
        assert after["messages"] - before["messages"] == 3
        assert after["pinned"] - before["pinned"] == 1
        assert {day: after["messages_per_day"][day] for day in ("2025-06-01", "2025-06-02")} == {
            "2025-06-01": 2,
            "2025-06-02": 1,
        }
        added = {role: n - before["messages_by_role"].get(role, 0) for role, n in after["messages_by_role"].items()}
        assert {role: n for role, n in added.items() if n} == {"user": 1, "assistant": 1, "tool": 1}
        assert after["top_tools"] == [{"tool_name": "weather", "uses": 2}, {"tool_name": "search", "uses": 1}]
        assert list(after["messages_per_day"]) == sorted(after["messages_per_day"])
