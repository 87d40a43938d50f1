"""The built-in cross-store handlers: PostgreSQL facts made true in MongoDB, idempotently.

Each effect is keyed by the event: the ids it writes are derived from ``event.event_id``, so a redelivery
finds its earlier work (``AlreadyExists``) instead of repeating it, and a delete deletes nothing more.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from gaia_adapters.relay.registry import HandlerContext, HandlerRegistry
from gaia_domain.conversations import Conversation, Message, Role, Source
from gaia_domain.errors import AlreadyExists, NotFound
from gaia_domain.events import GoalCompleted, UserDeleted, UserRegistered
from gaia_domain.ids import ConversationId, MessageId, UserId

log = logging.getLogger(__name__)

WELCOME_PURPOSE = "welcome"
WELCOME_DESCRIPTION = "Welcome to GAIA"


def welcome_conversation_id(event: UserRegistered) -> ConversationId:
    return ConversationId.derive("welcome", str(event.event_id))


def goal_completed_message_id(event: GoalCompleted) -> MessageId:
    return MessageId.derive("goal-completed", str(event.event_id))


def welcome_conversation(event: UserRegistered, context: HandlerContext) -> Conversation:
    greeting = Message(
        id=MessageId.derive("welcome-message", str(event.event_id)),
        role=Role.ASSISTANT,
        content=f"Hi {event.name}, welcome to GAIA! Tell me what you are working on and I will help you plan it.",
        created_at=event.occurred_at,
    )
    return Conversation.start(
        user_id=event.user_id,
        clock=context.clock,
        description=WELCOME_DESCRIPTION,
        source=Source.BACKGROUND,
        messages=[greeting],
        is_system_generated=True,
        system_purpose=WELCOME_PURPOSE,
        conversation_id=welcome_conversation_id(event),
    )


async def _user_exists(context: HandlerContext, user_id: UserId) -> bool:
    async with context.uow_factory() as uow:
        try:
            await uow.users.get(user_id)
        except NotFound:
            return False
    return True


def create_welcome_conversation(context: HandlerContext) -> Callable[[UserRegistered], Awaitable[None]]:
    """UserRegistered -> exactly one welcome conversation (its id derived from the event)."""

    async def handle(event: UserRegistered) -> None:
        conversation = welcome_conversation(event, context)
        if await _user_exists(context, event.user_id):
            with contextlib.suppress(AlreadyExists):  # a redelivery: written before
                await context.conversations.add(conversation)
            # Checked again after the write: if the user was deleted meanwhile, UserDeleted's cleanup may already
            # have run before our insert, so the welcome conversation is ours to remove.
            if await _user_exists(context, event.user_id):
                return
        with contextlib.suppress(NotFound):
            await context.conversations.delete(event.user_id, conversation.id)

    return handle


def delete_conversations_of_deleted_user(context: HandlerContext) -> Callable[[UserDeleted], Awaitable[None]]:
    """UserDeleted -> the user's conversations go too (their goals went in the same PostgreSQL transaction)."""

    async def handle(event: UserDeleted) -> None:
        deleted = await context.conversations.delete_all_for_user(event.user_id)
        log.info("UserDeleted %s: %d conversations deleted", event.event_id, deleted)

    return handle


def announce_completed_goal(context: HandlerContext) -> Callable[[GoalCompleted], Awaitable[None]]:
    """GoalCompleted -> one system message in the goal's linked conversation (none linked: nothing to do)."""

    async def handle(event: GoalCompleted) -> None:
        if event.conversation_id is None:
            return
        message = Message(
            id=goal_completed_message_id(event),
            role=Role.SYSTEM,
            content=f"Goal completed: {event.title}",
            created_at=event.occurred_at,
        )
        try:
            await context.conversations.append_messages(event.user_id, event.conversation_id, [message])
        except AlreadyExists:
            return  # a redelivery: appended before
        except NotFound:
            log.info(
                "GoalCompleted %s: conversation %s is gone; nothing to announce", event.event_id, event.conversation_id
            )

    return handle


def builtin_handlers() -> HandlerRegistry:
    """A registry with the built-in cross-store handlers; application code may add its own to it."""
    registry = HandlerRegistry()
    registry.add(UserRegistered, create_welcome_conversation, name="welcome_conversation")
    registry.add(UserDeleted, delete_conversations_of_deleted_user, name="delete_user_conversations")
    registry.add(GoalCompleted, announce_completed_goal, name="announce_completed_goal")
    return registry
