"""Claude.ai conversation exports: ``chat_messages`` in order, optionally linked by parent ids.

Quirks handled: text in ``content`` blocks (``text``, ``tool_use``, ``tool_result``; ``thinking``
is not shown and skipped), the plain ``text`` field as a fallback, ``sender`` human/assistant,
ISO 8601 times, and the placeholder all-zero ``parent_message_uuid`` of the first message.
When every message has a parent link, the visible thread is walked back from
``current_leaf_message_uuid`` (edits are siblings, as in ChatGPT); otherwise the list order is the thread.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gaia_adapters.importers.building import BuildContext, ParsedConversation, Thread, ThreadMessage
from gaia_adapters.importers.errors import BrokenConversation
from gaia_adapters.importers.threads import check_tree, leaves, thread_to
from gaia_adapters.importers.timestamps import parse_time
from gaia_domain.conversations import MAX_TOOL_ENTRIES, MAX_TOOL_NAME, Role, ToolData
from gaia_domain.errors import InvalidInput

SOURCE = "claude"

_ROLES = {"human": Role.USER, "user": Role.USER, "assistant": Role.ASSISTANT}
_NO_PARENT = "00000000-0000-4000-8000-000000000000"
_MAX_TOOL_INPUT = 10_000  # characters of a tool call's input kept as JSON text


def title_of(raw: Mapping[str, Any]) -> str:
    name = raw.get("name", raw.get("title"))  # "title": a ChatGPT conversation met in a Claude file
    return name if isinstance(name, str) else ""


def parse(raw: object, ctx: BuildContext) -> ParsedConversation:
    if not isinstance(raw, dict):
        raise BrokenConversation(f"a conversation must be a JSON object, got {type(raw).__name__}")
    if "chat_messages" not in raw and "mapping" in raw:  # --format claude on a ChatGPT export
        raise BrokenConversation(
            "a ChatGPT conversation (it has 'mapping') in a file read as Claude (from --format, or detected from "
            "its first conversation): import it from a file of its own"
        )
    export_id = raw.get("uuid")
    if not isinstance(export_id, str) or not export_id.strip():
        raise BrokenConversation("no conversation id (uuid)")
    items = raw.get("chat_messages")
    if not isinstance(items, list) or not items:
        raise BrokenConversation("no messages (chat_messages is missing or empty)")
    by_id: dict[str, dict[str, Any]] = {}
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise BrokenConversation(f"message {position} is not an object")
        uuid = item.get("uuid")
        if not isinstance(uuid, str) or not uuid:
            raise BrokenConversation(f"message {position} has no uuid")
        if uuid in by_id:
            raise BrokenConversation(f"message uuid {uuid!r:.60} appears twice")
        by_id[uuid] = item

    parents = _parents(by_id)
    if parents is None:  # no links: the list (sorted by index when given) is the one thread
        threads = [Thread(leaf=None, messages=_visible(by_id, _list_order(items)))]
    else:
        check_tree(parents)
        current = raw.get("current_leaf_message_uuid")
        if not isinstance(current, str) or current not in by_id:
            current = leaves(parents)[-1]
        threads = [Thread(leaf=None, messages=_visible(by_id, thread_to(parents, current)))]
        if ctx.all_branches:
            kept = [tuple(m.node_id for m in threads[0].messages)]
            for leaf in leaves(parents):
                messages = _visible(by_id, thread_to(parents, leaf))
                ids = tuple(m.node_id for m in messages)
                if leaf == current or not ids or any(other[: len(ids)] == ids for other in kept):
                    continue
                kept.append(ids)
                threads.append(Thread(leaf=leaf, messages=messages))
    if not threads[0].messages:
        raise BrokenConversation("no messages on the visible thread")
    return ParsedConversation(
        source=SOURCE,
        export_id=export_id.strip(),
        title=title_of(raw),
        created=parse_time(raw.get("created_at")),
        updated=parse_time(raw.get("updated_at")),
        threads=threads,
    )


def _parents(by_id: Mapping[str, Mapping[str, Any]]) -> dict[str, str | None] | None:
    """Parent links when every message has one (the placeholder all-zero id means "no parent"), else None."""
    parents: dict[str, str | None] = {}
    for uuid, item in by_id.items():
        parent = item.get("parent_message_uuid")
        if not isinstance(parent, str) or not parent:
            return None
        parents[uuid] = None if parent == _NO_PARENT else parent
    return parents


def _list_order(items: list[Any]) -> list[str]:
    indexed = [(item.get("index"), position, item["uuid"]) for position, item in enumerate(items)]
    if all(isinstance(index, int) and not isinstance(index, bool) for index, _, _ in indexed):
        indexed.sort(key=lambda entry: (entry[0], entry[1]))
    return [uuid for _, _, uuid in indexed]


def _visible(by_id: Mapping[str, Mapping[str, Any]], order: list[str]) -> list[ThreadMessage]:
    messages: list[ThreadMessage] = []
    for uuid in order:
        item = by_id[uuid]
        sender = item.get("sender")
        role = _ROLES.get(sender) if isinstance(sender, str) else None
        if role is None:
            raise BrokenConversation(f"message {uuid!r:.60}: unknown sender {item.get('sender')!r:.40}")
        text, tools = _content(uuid, item)
        if not text.strip() and not tools:
            continue
        messages.append(
            ThreadMessage(
                node_id=uuid,
                role=role,
                text=text,
                time=parse_time(item.get("created_at")),
                tools=tuple(tools[:MAX_TOOL_ENTRIES]),
            )
        )
    return messages


def _content(uuid: str, item: Mapping[str, Any]) -> tuple[str, list[ToolData]]:
    """Text of the ``content`` blocks (falling back to ``text``) and the tools the message used."""
    pieces: list[str] = []
    tools: list[ToolData] = []
    blocks = item.get("content")
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            raise BrokenConversation(f"message {uuid!r:.60}: a content block is not an object")
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            pieces.append(block["text"])
        elif kind == "tool_use":
            tools.append(_tool(uuid, block, {"input": _json_text(block.get("input"))}))
        elif kind == "tool_result":
            result = _result_text(block.get("content"))
            if result:
                pieces.append(result)
            tools.append(_tool(uuid, block, {"is_error": bool(block.get("is_error"))}))
    text = "\n\n".join(p for p in pieces if p)
    if not text.strip():
        fallback = item.get("text")
        text = fallback if isinstance(fallback, str) else ""
    return text, tools


def _result_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n\n".join(b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))
    return ""


def _json_text(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (RecursionError, ValueError):  # a hostile or broken input nested beyond Python's stack
        return "[input not shown: nested too deeply]"
    return text if len(text) <= _MAX_TOOL_INPUT else text[:_MAX_TOOL_INPUT] + "…"


def _tool(uuid: str, block: Mapping[str, Any], data: dict[str, Any]) -> ToolData:
    name = block.get("name")
    tool_name = name.strip()[:MAX_TOOL_NAME] if isinstance(name, str) and name.strip() else "tool"
    try:
        return ToolData(tool_name=tool_name, data={"type": block.get("type"), **data})
    except InvalidInput as exc:
        raise BrokenConversation(f"message {uuid!r:.60}: {exc}") from exc
