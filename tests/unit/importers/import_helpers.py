"""Helpers for the importer tests: the shared real files, a memory backend, hand-made exports.

No conftest.py here on purpose: a second ``conftest`` module would clash with tests/conftest.py
under ``mypy --strict src tests``.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gaia_adapters.container import build_container, running
from gaia_adapters.importers import ImportOptions, ImportReport, ensure_user, import_export
from gaia_domain.clock import TickingClock
from gaia_domain.conversations import Conversation
from gaia_domain.ids import UserId
from gaia_domain.services import ConversationService, UserService
from gaia_domain.users import User

REPO_ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
EMAIL = "importer@example.org"


def shared_file(name: str) -> Path:
    """A real export from ../shared/data (never copied here): missing is a failure in CI, a skip elsewhere."""
    path = SHARED_DATA / name
    if not path.is_file():
        message = f"real export {path} is missing"
        if os.environ.get("CI", "").lower() == "true" or os.environ.get("GAIA_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class App:
    users: UserService
    conversations: ConversationService
    clock: TickingClock
    user: User

    async def run(self, path: Path, **options: Any) -> ImportReport:
        return await import_export(
            path,
            user_id=self.user.id,
            conversations=self.conversations,
            clock=self.clock,
            options=ImportOptions(**options),
        )

    async def stored(self, user_id: UserId | None = None) -> list[Conversation]:
        """The user's imported conversations, oldest activity first, with messages.

        System-generated ones (the welcome conversation a new user gets) are left out: no import makes them.
        """
        owner = user_id or self.user.id
        page = await self.conversations.list(owner, limit=200)
        assert page.next_cursor is None, "more than one page: the test export is larger than expected"
        imported = [s for s in reversed(page.items) if not s.is_system_generated]
        return [await self.conversations.get(owner, s.id) for s in imported]


@asynccontextmanager
async def memory_app() -> AsyncIterator[App]:
    clock = TickingClock()
    container = build_container(clock=clock)
    async with running(container) as services:
        user, _ = await ensure_user(services.users, EMAIL)
        yield App(services.users, services.conversations, clock, user)


def write_json(directory: Path, data: object, name: str = "export.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- hand-made ChatGPT exports ---------------------------------------------------------------------------------------


def gpt_message(
    role: str,
    text: str | None = None,
    *,
    content: dict[str, Any] | None = None,
    create_time: object = 1_700_000_000.0,
    name: str | None = None,
    hidden: bool = False,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": "ignored",
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": create_time,
        "content": content if content is not None else {"content_type": "text", "parts": [text or ""]},
        "metadata": {"is_visually_hidden_from_conversation": True} if hidden else {},
    }
    return message


def gpt_conversation(
    conversation_id: str,
    nodes: dict[str, tuple[str | None, dict[str, Any] | None]],
    *,
    current_node: str | None,
    title: str = "A chat",
    create_time: object = 1_700_000_000.0,
) -> dict[str, Any]:
    """``nodes``: node id -> (parent id, message or None); children lists are derived in order."""
    mapping: dict[str, Any] = {
        node_id: {"id": node_id, "message": message, "parent": parent, "children": []}
        for node_id, (parent, message) in nodes.items()
    }
    for node_id, (parent, _) in nodes.items():
        if parent in mapping:  # a parent that is not in the export stays dangling (broken-file tests)
            mapping[parent]["children"].append(node_id)
    return {
        "title": title,
        "create_time": create_time,
        "update_time": create_time,
        "mapping": mapping,
        "current_node": current_node,
        "conversation_id": conversation_id,
        "id": conversation_id,
    }


def gpt_chain(conversation_id: str, texts: Sequence[tuple[str, str]], *, title: str = "A chat") -> dict[str, Any]:
    """A linear conversation: a message-less root, a hidden empty system prompt, then the given messages."""
    nodes: dict[str, tuple[str | None, dict[str, Any] | None]] = {
        "root": (None, None),
        "sys": ("root", gpt_message("system", "", create_time=None, hidden=True)),
    }
    parent = "sys"
    for number, (role, text) in enumerate(texts):
        node_id = f"n{number}"
        nodes[node_id] = (parent, gpt_message(role, text, create_time=1_700_000_000.0 + number))
        parent = node_id
    return gpt_conversation(conversation_id, nodes, current_node=parent, title=title)


# --- hand-made Claude exports ----------------------------------------------------------------------------------------

CLAUDE_ROOT = "00000000-0000-4000-8000-000000000000"


def claude_message(
    uuid: str,
    sender: str,
    text: str = "",
    *,
    blocks: list[dict[str, Any]] | None = None,
    parent: str | None = CLAUDE_ROOT,
    created_at: object = "2024-10-29T15:59:38.340028+00:00",
    index: int | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "uuid": uuid,
        "text": text if blocks is not None else "",
        "content": blocks if blocks is not None else [{"type": "text", "text": text}],
        "sender": sender,
        "created_at": created_at,
    }
    if parent is not None:
        message["parent_message_uuid"] = parent
    if index is not None:
        message["index"] = index
    return message


def claude_conversation(
    uuid: str, messages: list[dict[str, Any]], *, name: str = "A Claude chat", current_leaf: str | None = None
) -> dict[str, Any]:
    conversation: dict[str, Any] = {
        "uuid": uuid,
        "name": name,
        "created_at": "2024-10-29T15:59:18.774635+00:00",
        "updated_at": "2024-10-29T16:02:16.623589+00:00",
        "chat_messages": messages,
    }
    if current_leaf is not None:
        conversation["current_leaf_message_uuid"] = current_leaf
    return conversation
