"""From what a parser read to domain Conversations: ids, times, descriptions, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gaia_adapters.importers.errors import BrokenConversation
from gaia_adapters.importers.timestamps import fill_times, first_known
from gaia_domain.conversations import (
    DEFAULT_DESCRIPTION,
    MAX_CONTENT,
    MAX_CONVERSATION_BYTES,
    MAX_DESCRIPTION,
    Conversation,
    Message,
    Role,
    Source,
    ToolData,
    message_size,
)
from gaia_domain.errors import InvalidInput
from gaia_domain.ids import ConversationId, MessageId, UserId

# One conversation is one MongoDB document: one over the domain's budget (MAX_CONVERSATION_BYTES, measured by
# message_size, the same estimate every store enforces) is reported and skipped rather than failing the whole
# batch in the store, on every backend alike.

CLIP_MARKER = "\n[… cut by gaia-db import: the message was longer than 100,000 characters]"


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One visible message as the export has it; ``time`` is None when the export has none."""

    node_id: str
    role: Role
    text: str
    time: datetime | None
    tools: tuple[ToolData, ...] = ()


@dataclass(frozen=True, slots=True)
class Thread:
    """A path through the message tree; ``leaf`` is None for the visible thread (the one the user saw last)."""

    leaf: str | None
    messages: list[ThreadMessage]


@dataclass(frozen=True, slots=True)
class ParsedConversation:
    source: str  # "chatgpt" or "claude": part of every derived id
    export_id: str
    title: str
    created: datetime | None
    updated: datetime | None
    threads: list[Thread]  # the visible thread first, then the other branches (with --all-branches)


@dataclass(frozen=True, slots=True)
class BuildContext:
    user_id: UserId
    now: datetime  # the last resort when a conversation has no known time at all
    all_branches: bool = False


@dataclass(slots=True)
class Built:
    conversations: list[Conversation] = field(default_factory=list)
    messages: int = 0
    clipped_messages: int = 0
    bytes: int = 0  # estimated stored size (text, tools, per-message overhead)


# Ids derive from the owner and the export's own ids: the same file maps to the same ids for the same user
# (a re-import adds nothing), while two users importing the same file each get their own conversations
# (conversation ids are global: without the owner, the second user's import would be silently "unchanged").


def conversation_id(source: str, owner: str, export_id: str, leaf: str | None = None) -> ConversationId:
    """``owner`` is ``str(user_id)``."""
    if leaf is None:
        return ConversationId.derive(source, owner, export_id)
    return ConversationId.derive(source, owner, export_id, "branch", leaf)


def message_id(source: str, owner: str, export_id: str, node_id: str, leaf: str | None = None) -> MessageId:
    if leaf is None:
        return MessageId.derive(source, owner, export_id, node_id)
    return MessageId.derive(source, owner, export_id, "branch", leaf, node_id)


def description(title: str, branch_number: int | None) -> str:
    base = " ".join(title.split()) or DEFAULT_DESCRIPTION
    suffix = f" (branch {branch_number})" if branch_number is not None else ""
    if len(base) + len(suffix) > MAX_DESCRIPTION:
        base = base[: MAX_DESCRIPTION - len(suffix) - 1].rstrip() + "…"
    return base + suffix


def clip(text: str) -> tuple[str, bool]:
    """Text longer than a message may hold is cut (and counted) rather than losing the whole conversation."""
    if len(text) <= MAX_CONTENT:
        return text, False
    return text[: MAX_CONTENT - len(CLIP_MARKER)] + CLIP_MARKER, True


def build(parsed: ParsedConversation, ctx: BuildContext) -> Built:
    """One Conversation per thread. Raises BrokenConversation when the domain rejects a value."""
    built = Built()
    for number, thread in enumerate(parsed.threads):
        built.conversations.append(_build_thread(parsed, thread, number or None, ctx, built))
    return built


def _build_thread(
    parsed: ParsedConversation, thread: Thread, branch_number: int | None, ctx: BuildContext, built: Built
) -> Conversation:
    known = [m.time for m in thread.messages]
    start = first_known(parsed.created, *known, parsed.updated, ctx.now)
    assert start is not None  # ctx.now is always known
    times = fill_times(known, start=start)
    messages: list[Message] = []
    size = 0
    owner = str(ctx.user_id)
    for item, created_at in zip(thread.messages, times, strict=True):
        text, clipped = clip(item.text)
        try:
            messages.append(
                Message(
                    id=message_id(parsed.source, owner, parsed.export_id, item.node_id, thread.leaf),
                    role=item.role,
                    content=text,
                    created_at=created_at,
                    tool_data=item.tools,
                )
            )
        except InvalidInput as exc:
            raise BrokenConversation(f"message {item.node_id!r:.60}: {exc}") from exc
        built.clipped_messages += clipped
        size += message_size(messages[-1])
        if size > MAX_CONVERSATION_BYTES:
            raise BrokenConversation(
                f"too large: over {MAX_CONVERSATION_BYTES // 1_000_000} MB of messages "
                "(a conversation is stored as one document)"
            )
    created = first_known(parsed.created, times[0] if times else None, ctx.now)
    assert created is not None
    updated = max([created, *([parsed.updated] if parsed.updated else []), *times[-1:]])
    try:
        conversation = Conversation(
            id=conversation_id(parsed.source, owner, parsed.export_id, thread.leaf),
            user_id=ctx.user_id,
            created_at=created,
            updated_at=updated,
            description=description(parsed.title, branch_number),
            source=Source.WEB,
            messages=messages,
        )
    except InvalidInput as exc:
        raise BrokenConversation(str(exc)) from exc
    built.messages += len(messages)
    built.bytes += size
    return conversation
