"""Use cases of conversations: start, send, edit, pin, organise, read, search, stats."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gaia_domain.clock import Clock
from gaia_domain.conversations import (
    DEFAULT_DESCRIPTION,
    Conversation,
    ConversationStats,
    ConversationSummary,
    Message,
    PinnedMessage,
    Role,
    SearchHit,
    Source,
    ToolData,
    check_new_messages,
    parse_source,
    search_text,
)
from gaia_domain.errors import InvalidInput
from gaia_domain.ids import ConversationId, MessageId, UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page, page_size
from gaia_domain.ports import ConversationStore
from gaia_domain.services._uow import UnitOfWorkFactory
from gaia_domain.validation import positive_int


@dataclass(frozen=True)
class NewMessage:
    """A message to send; id and time are assigned by the service unless given (imports give both)."""

    role: Role | str
    content: str
    tool_data: tuple[ToolData, ...] = ()
    reply_to: MessageId | None = None
    message_id: MessageId | None = None
    created_at: datetime | None = None
    pinned: bool = False


class ConversationService:
    def __init__(self, store: ConversationStore, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._store = store
        self._uow = uow_factory
        self._clock = clock

    def _build(self, messages: Iterable[NewMessage]) -> list[Message]:
        if isinstance(messages, str | bytes | Mapping) or not isinstance(messages, Iterable):
            raise InvalidInput("messages", f"must be a list of NewMessage, got {type(messages).__name__}")
        built: list[Message] = []
        for new in messages:
            if not isinstance(new, NewMessage):
                raise InvalidInput("messages", f"must be NewMessage objects, got {type(new).__name__}")
            built.append(
                Message.new(
                    role=new.role,
                    content=new.content,
                    clock=self._clock,
                    created_at=new.created_at,
                    message_id=new.message_id,
                    reply_to=new.reply_to,
                    tool_data=new.tool_data,
                    pinned=new.pinned,
                )
            )
        return built

    async def _require_user(self, user_id: UserId) -> None:
        async with self._uow() as uow:
            await uow.users.get(user_id)

    async def start(
        self,
        user_id: UserId,
        *,
        description: str = DEFAULT_DESCRIPTION,
        source: Source | str = Source.WEB,
        messages: Sequence[NewMessage] = (),
        is_system_generated: bool = False,
        system_purpose: str | None = None,
        conversation_id: ConversationId | None = None,
    ) -> Conversation:
        """Start a conversation for an existing user (``NotFound`` otherwise)."""
        user_id = UserId.parse(user_id)  # a string form is accepted, as by every other use case
        conversation = Conversation.start(
            user_id=user_id,
            clock=self._clock,
            description=description,
            source=parse_source(source),
            messages=self._build(messages),
            is_system_generated=is_system_generated,
            system_purpose=system_purpose,
            conversation_id=conversation_id,
        )
        await self._require_user(user_id)
        await self._store.add(conversation)
        return conversation

    async def send_messages(
        self, user_id: UserId, conversation_id: ConversationId, messages: Sequence[NewMessage]
    ) -> list[Message]:
        built = self._build(messages)
        check_new_messages(built)
        await self._store.append_messages(user_id, conversation_id, built)
        return built

    async def edit_message(
        self, user_id: UserId, conversation_id: ConversationId, message_id: MessageId, content: str
    ) -> None:
        probe = Message.new(role=Role.USER, content=content, clock=self._clock)  # validates the content
        await self._store.update_message(
            user_id, conversation_id, message_id, content=probe.content, edited_at=probe.created_at
        )

    async def pin_message(
        self, user_id: UserId, conversation_id: ConversationId, message_id: MessageId, pinned: bool = True
    ) -> None:
        if not isinstance(pinned, bool):
            raise InvalidInput("pinned", "must be a boolean")
        await self._store.update_message(user_id, conversation_id, message_id, pinned=pinned)

    async def rename(self, user_id: UserId, conversation_id: ConversationId, description: str) -> None:
        Conversation.start(user_id=user_id, clock=self._clock, description=description)  # validates the text
        await self._store.update_metadata(user_id, conversation_id, description=description.strip())

    async def star(self, user_id: UserId, conversation_id: ConversationId, starred: bool = True) -> None:
        if not isinstance(starred, bool):
            raise InvalidInput("starred", "must be a boolean")
        await self._store.update_metadata(user_id, conversation_id, starred=starred)

    async def mark_read(self, user_id: UserId, conversation_id: ConversationId, read: bool = True) -> None:
        if not isinstance(read, bool):
            raise InvalidInput("read", "must be a boolean")
        await self._store.update_metadata(user_id, conversation_id, unread=not read)

    async def delete(self, user_id: UserId, conversation_id: ConversationId) -> None:
        await self._store.delete(user_id, conversation_id)

    async def list(
        self,
        user_id: UserId,
        *,
        starred: bool | None = None,
        source: Source | str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[ConversationSummary]:
        return await self._store.list(
            user_id,
            starred=starred,
            source=parse_source(source) if source is not None else None,
            limit=page_size(limit),
            cursor=cursor,
        )

    async def get(
        self, user_id: UserId, conversation_id: ConversationId, *, last_messages: int | None = None
    ) -> Conversation:
        if last_messages is not None:
            positive_int("last_messages", last_messages, maximum=10_000)
        return await self._store.get(user_id, conversation_id, last_messages=last_messages)

    async def messages_page(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Message]:
        return await self._store.messages_page(user_id, conversation_id, limit=page_size(limit), cursor=cursor)

    async def pinned(self, user_id: UserId, *, limit: int = 50) -> Sequence[PinnedMessage]:
        return await self._store.pinned_messages(user_id, limit=page_size(limit))

    async def search(self, user_id: UserId, text: str, *, limit: int = DEFAULT_PAGE_SIZE) -> Sequence[SearchHit]:
        return await self._store.search(user_id, search_text(text), limit=page_size(limit))

    async def stats(self, user_id: UserId) -> ConversationStats:
        return await self._store.stats(user_id)

    async def import_conversations(self, conversations: Sequence[Conversation]) -> int:
        """The bulk path: insert many built conversations at once; existing ids are skipped (idempotent)."""
        return await self._store.add_many(conversations)
