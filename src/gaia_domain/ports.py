"""The ports: Protocols every adapter implements and the contract suite checks.

Rules shared by every port:

* Every read and write of user data is scoped by the owner's ``user_id``; an id owned by
  someone else behaves exactly like a missing id (``NotFound``).
* Only errors from :mod:`gaia_domain.errors` leave a port; driver errors are kept as ``__cause__``.
* Returned entities are plain domain objects, fully loaded; reading them needs no I/O.
* Pages are keyset pages with opaque cursors (:mod:`gaia_domain.pagination`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from gaia_domain.conversations import (
    Conversation,
    ConversationStats,
    ConversationSummary,
    Message,
    PinnedMessage,
    SearchHit,
    Source,
)
from gaia_domain.events import Event
from gaia_domain.goals import Goal
from gaia_domain.ids import ConversationId, GoalId, MessageId, UserId
from gaia_domain.pagination import DEFAULT_PAGE_SIZE, Page
from gaia_domain.users import User


class UserRepository(Protocol):
    """Users, unique by email compared case-insensitively. ``list`` orders by id (UUIDv7: creation order)."""

    async def add(self, user: User) -> None:
        """Store a new user; ``DuplicateEmail`` if the normalised email is taken, ``AlreadyExists`` for the id."""
        ...

    async def get(self, user_id: UserId) -> User: ...

    async def get_by_email(self, email: str) -> User:
        """Case-insensitive, whitespace-trimmed lookup; ``NotFound`` when absent, ``InvalidInput`` if malformed."""
        ...

    async def get_by_legacy_id(self, legacy_id: str) -> User: ...

    async def save(self, user: User) -> None:
        """Write changes if the stored version equals ``user.version``; then ``user.version`` is incremented.

        ``ConcurrencyConflict`` when another writer saved first, ``NotFound`` when the user is gone,
        ``DuplicateEmail`` when the new email is taken.
        """
        ...

    async def delete(self, user_id: UserId) -> None: ...

    async def list(self, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> Page[User]: ...


class GoalRepository(Protocol):
    """Goals of one owner. ``list`` orders newest first: ``created_at`` descending, ties by id descending."""

    async def add(self, goal: Goal) -> None: ...

    async def get(self, user_id: UserId, goal_id: GoalId) -> Goal: ...

    async def list(
        self, user_id: UserId, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None
    ) -> Page[Goal]: ...

    async def save(self, goal: Goal) -> None:
        """Version-checked like ``UserRepository.save``."""
        ...

    async def delete(self, user_id: UserId, goal_id: GoalId) -> None: ...

    async def delete_all_for_user(self, user_id: UserId) -> int:
        """Delete every goal of the owner; return how many were deleted."""
        ...


class Outbox(Protocol):
    """Events written in the same transaction as the state change that raised them."""

    async def add(self, events: Sequence[Event]) -> None: ...


class UnitOfWorkState(StrEnum):
    NEW = "new"
    OPEN = "open"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled_back"


class UnitOfWork(Protocol):
    """One PostgreSQL transaction (or its in-memory twin).

    ``async with uow:`` opens it; ``commit()`` makes the work durable and writes the events the
    aggregates raised to the outbox first, in the same transaction; leaving the block without
    commit, with an exception or through cancellation rolls back. Entering the same unit of work
    again while it is open takes a SAVEPOINT: the inner block's ``commit()`` releases it, leaving
    it without commit rolls back to it. A unit of work is used once: re-entering after it closed
    raises ``UnitOfWorkError``.
    """

    # Read-only members, so an adapter may declare its own repository types (mutable Protocol attributes are invariant).
    @property
    def users(self) -> UserRepository: ...

    @property
    def goals(self) -> GoalRepository: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def state(self) -> UnitOfWorkState: ...

    @property
    def committed_events(self) -> Sequence[Event]:
        """The events written to the outbox by the last outer commit (for in-process dispatch)."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class ConversationStore(Protocol):
    """Conversations with embedded messages, always addressed through their owner's ``user_id``.

    Lists order by activity (``updated_at``) newest first, ties by id descending. Message pages
    order newest first. Text search is a case-insensitive substring match over the description
    and message contents; the text is literal data, never a pattern or an operator.
    """

    async def add(self, conversation: Conversation) -> None:
        """Insert a new conversation; ``AlreadyExists`` if the id is taken (by anyone)."""
        ...

    async def add_many(self, conversations: Sequence[Conversation]) -> int:
        """Bulk insert (the import path); conversations whose id exists are skipped. Returns how many were inserted."""
        ...

    async def get(
        self, user_id: UserId, conversation_id: ConversationId, *, last_messages: int | None = None
    ) -> Conversation:
        """The whole aggregate, or only its last ``last_messages`` messages (``message_count`` stays the total)."""
        ...

    async def list(
        self,
        user_id: UserId,
        *,
        starred: bool | None = None,
        source: Source | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[ConversationSummary]: ...

    async def append_messages(
        self, user_id: UserId, conversation_id: ConversationId, messages: Sequence[Message]
    ) -> None:
        """Atomically append in order, without reading the conversation; moves ``updated_at`` to the newest message.

        ``AlreadyExists`` (nothing appended) if any message id is already in the conversation, so a retried
        append is detected, never duplicated.
        """
        ...

    async def update_message(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        message_id: MessageId,
        *,
        content: str | None = None,
        pinned: bool | None = None,
        edited_at: datetime | None = None,
    ) -> None:
        """Change one message's content (sets ``edited_at``, required then) and/or pinned flag."""
        ...

    async def update_metadata(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        description: str | None = None,
        starred: bool | None = None,
        unread: bool | None = None,
    ) -> None:
        """Rename, star or mark read/unread. Does not change the activity time."""
        ...

    async def delete(self, user_id: UserId, conversation_id: ConversationId) -> None: ...

    async def delete_all_for_user(self, user_id: UserId) -> int: ...

    async def messages_page(
        self,
        user_id: UserId,
        conversation_id: ConversationId,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Page[Message]:
        """Newest first; appends made between pages never shift or repeat the older pages."""
        ...

    async def pinned_messages(self, user_id: UserId, *, limit: int = 50) -> Sequence[PinnedMessage]:
        """Pinned messages across the owner's conversations: newest message first, ties by message id descending."""
        ...

    async def search(self, user_id: UserId, text: str, *, limit: int = DEFAULT_PAGE_SIZE) -> Sequence[SearchHit]:
        """Conversations ordered like ``list`` whose description or any message contains ``text``."""
        ...

    async def stats(self, user_id: UserId) -> ConversationStats: ...
