"""ChatGPT ``conversations.json``: each conversation is a tree of nodes in ``mapping``.

Quirks handled (see /work/shared/data/SOURCES.md and docs/import.md):

* the root node has no message and may be listed after its child; the visible thread is found by
  walking parent links back from ``current_node``; edits and regenerations are sibling branches;
* hidden messages: ``metadata.is_visually_hidden_from_conversation``, context-only content types,
  and messages with no text at all (the empty system prompt);
* the text lives in ``parts`` (strings, or objects for images), ``text`` (code, quotes,
  execution output), ``result`` (browsing displays), ``thoughts`` or ``content``;
* tool messages carry the tool's name in ``author.name``;
* times are float epoch seconds, null, or (rarely) strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gaia_adapters.importers.building import BuildContext, ParsedConversation, Thread, ThreadMessage
from gaia_adapters.importers.errors import BrokenConversation
from gaia_adapters.importers.threads import check_tree, leaves, thread_to
from gaia_adapters.importers.timestamps import parse_time
from gaia_domain.conversations import MAX_TOOL_NAME, Role, ToolData
from gaia_domain.errors import InvalidInput

SOURCE = "chatgpt"

_ROLES = {"user": Role.USER, "assistant": Role.ASSISTANT, "system": Role.SYSTEM, "tool": Role.TOOL}
# Context the ChatGPT UI never shows in the thread (custom instructions, memory).
_HIDDEN_CONTENT_TYPES = frozenset({"user_editable_context", "model_editable_context"})
# Plain string fields of a tool message worth keeping beside the tool's name.
_TOOL_FIELDS = ("content_type", "url", "domain", "title")


def title_of(raw: Mapping[str, Any]) -> str:
    title = raw.get("title", raw.get("name"))  # "name": a Claude conversation met in a ChatGPT file
    return title if isinstance(title, str) else ""


def parse(raw: object, ctx: BuildContext) -> ParsedConversation:
    if not isinstance(raw, dict):
        raise BrokenConversation(f"a conversation must be a JSON object, got {type(raw).__name__}")
    if "mapping" not in raw and "chat_messages" in raw:  # --format chatgpt on a Claude export
        raise BrokenConversation(
            "a Claude conversation (it has 'chat_messages') in a file read as ChatGPT (from --format, or detected "
            "from its first conversation): import it from a file of its own"
        )
    export_id = raw.get("conversation_id") or raw.get("id")
    if not isinstance(export_id, str) or not export_id.strip():
        raise BrokenConversation("no conversation id (conversation_id or id)")
    mapping = raw.get("mapping")
    if not isinstance(mapping, dict) or not mapping:
        raise BrokenConversation("no messages (mapping is missing or empty)")
    parents = _parents(mapping)
    check_tree(parents)

    current = raw.get("current_node")
    if not isinstance(current, str) or current not in mapping:
        current = _latest_leaf(mapping, parents)
    visible = _visible_messages(mapping, thread_to(parents, current))
    if not visible:
        raise BrokenConversation("no messages on the visible thread")
    threads = [Thread(leaf=None, messages=visible)]
    if ctx.all_branches:
        threads.extend(_other_branches(mapping, parents, current, visible))
    return ParsedConversation(
        source=SOURCE,
        export_id=export_id.strip(),
        title=title_of(raw),
        created=parse_time(raw.get("create_time")),
        updated=parse_time(raw.get("update_time")),
        threads=threads,
    )


def _parents(mapping: Mapping[str, Any]) -> dict[str, str | None]:
    """Parent links, checked against the children lists (both must tell the same tree)."""
    parents: dict[str, str | None] = {}
    for node_id, node in mapping.items():
        if not isinstance(node, dict):
            raise BrokenConversation(f"node {node_id!r:.60} is not an object")
        parent = node.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise BrokenConversation(f"node {node_id!r:.60} has a parent that is not a string")
        parents[node_id] = parent
    for node_id, node in mapping.items():
        children = node.get("children", [])
        if not isinstance(children, list):
            raise BrokenConversation(f"node {node_id!r:.60} has children that are not a list")
        for child in children:
            if not isinstance(child, str) or child not in mapping:
                raise BrokenConversation(f"node {node_id!r:.60} lists a child {child!r:.60} that is not in the export")
            if parents[child] != node_id:
                raise BrokenConversation(
                    f"node {node_id!r:.60} lists child {child!r:.60} whose parent is {parents[child]!r:.60}"
                )
    return parents


def _latest_leaf(mapping: Mapping[str, Any], parents: Mapping[str, str | None]) -> str:
    """Without a usable current_node: the leaf written last (ties: the last one in the export)."""
    candidates = leaves(parents)
    if not candidates:
        raise BrokenConversation("no messages (no leaf node)")

    def written(node_id: str) -> float:
        message = mapping[node_id].get("message")
        time = parse_time(message.get("create_time")) if isinstance(message, dict) else None
        return time.timestamp() if time else float("-inf")

    return max(reversed(candidates), key=written)


def _other_branches(
    mapping: Mapping[str, Any], parents: Mapping[str, str | None], current: str, visible: list[ThreadMessage]
) -> list[Thread]:
    """One thread per other leaf; threads that show nothing beyond an already kept one are dropped."""
    kept = [tuple(m.node_id for m in visible)]
    threads: list[Thread] = []
    for leaf in leaves(parents):
        if leaf == current:
            continue
        messages = _visible_messages(mapping, thread_to(parents, leaf))
        ids = tuple(m.node_id for m in messages)
        if not ids or any(other[: len(ids)] == ids for other in kept):
            continue
        kept.append(ids)
        threads.append(Thread(leaf=leaf, messages=messages))
    return threads


def _visible_messages(mapping: Mapping[str, Any], thread: list[str]) -> list[ThreadMessage]:
    messages: list[ThreadMessage] = []
    for node_id in thread:
        message = _message(node_id, mapping[node_id].get("message"))
        if message is not None:
            messages.append(message)
    return messages


def _message(node_id: str, message: object) -> ThreadMessage | None:
    """The visible message of a node, or None (the root, hidden messages, messages with no text)."""
    if message is None:
        return None
    if not isinstance(message, dict):
        raise BrokenConversation(f"node {node_id!r:.60}: message is not an object")
    author = message.get("author")
    if not isinstance(author, dict):
        raise BrokenConversation(f"node {node_id!r:.60}: message has no author")
    raw_role = author.get("role")
    role = _ROLES.get(raw_role) if isinstance(raw_role, str) else None
    if role is None:
        raise BrokenConversation(f"node {node_id!r:.60}: unknown author role {author.get('role')!r:.40}")
    metadata = message.get("metadata")
    if isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"):
        return None
    content = message.get("content")
    if not isinstance(content, dict):
        raise BrokenConversation(f"node {node_id!r:.60}: message content is not an object")
    kind = content.get("content_type")
    if isinstance(kind, str) and kind in _HIDDEN_CONTENT_TYPES:
        return None
    text = content_text(content)
    if not text.strip():
        return None
    return ThreadMessage(
        node_id=node_id,
        role=role,
        text=text,
        time=parse_time(message.get("create_time")),
        tools=(_tool(node_id, author, content),) if role is Role.TOOL else (),
    )


def content_text(content: Mapping[str, Any]) -> str:
    """The text of a content object, from whichever field carries it."""
    parts = content.get("parts")
    if isinstance(parts, list):
        pieces = [piece for piece in (_part_text(p) for p in parts) if piece]
        if pieces:
            return "\n\n".join(pieces)
    for key in ("text", "result", "content"):
        value = content.get(key)
        if isinstance(value, str) and value.strip():
            return value
    thoughts = content.get("thoughts")
    if isinstance(thoughts, list):
        pieces = [t["content"] for t in thoughts if isinstance(t, dict) and isinstance(t.get("content"), str)]
        return "\n\n".join(p for p in pieces if p)
    return ""


def _part_text(part: object) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict):
        text = part.get("text")
        if isinstance(text, str):
            return text
        kind = part.get("content_type")
        return f"[{kind}]" if isinstance(kind, str) and kind else ""  # an image or file: keep a visible marker
    return ""


def _tool(node_id: str, author: Mapping[str, Any], content: Mapping[str, Any]) -> ToolData:
    name = author.get("name")
    tool_name = name.strip()[:MAX_TOOL_NAME] if isinstance(name, str) and name.strip() else "tool"
    data = {key: content[key] for key in _TOOL_FIELDS if isinstance(content.get(key), str)}
    try:
        return ToolData(tool_name=tool_name, data=data)
    except InvalidInput as exc:
        raise BrokenConversation(f"node {node_id!r:.60}: {exc}") from exc
