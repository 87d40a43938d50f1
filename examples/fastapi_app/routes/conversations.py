"""Conversations of one user: start, list (keyset pages), read, rename, star, mark read, delete; stats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from examples.fastapi_app.dependencies import App, ConversationRef, Owner
from gaia_domain.pagination import DEFAULT_PAGE_SIZE
from gaia_domain.schemas import (
    ConversationOut,
    ConversationSummaryOut,
    MarkRead,
    PageOut,
    Rename,
    Star,
    StartConversation,
    StatsOut,
)

router = APIRouter(prefix="/users/{user_id}", tags=["conversations"])

Limit = Annotated[int, Query(description="page size, 1..200")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


@router.post("/conversations", status_code=status.HTTP_201_CREATED)
async def start(owner: Owner, body: StartConversation, app: App) -> ConversationOut:
    conversation = await app.conversations.start(
        owner,
        description=body.description,
        source=body.source,
        messages=body.messages_to_domain(),
        is_system_generated=body.is_system_generated,
        system_purpose=body.system_purpose,
    )
    return ConversationOut.from_domain(conversation)


@router.get("/conversations")
async def list_conversations(
    owner: Owner,
    app: App,
    starred: bool | None = None,
    source: str | None = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Cursor = None,
) -> PageOut[ConversationSummaryOut]:
    """Newest activity first, ties by id; follow ``next_cursor`` for the next page."""
    page = await app.conversations.list(owner, starred=starred, source=source, limit=limit, cursor=cursor)
    return PageOut[ConversationSummaryOut].from_page(page, ConversationSummaryOut.from_domain)


@router.get("/conversations/{conversation_id}")
async def get_conversation(
    owner: Owner,
    conversation: ConversationRef,
    app: App,
    last_messages: Annotated[int | None, Query(description="only the last N messages (message_count: all)")] = None,
) -> ConversationOut:
    found = await app.conversations.get(owner, conversation, last_messages=last_messages)
    return ConversationOut.from_domain(found)


@router.put("/conversations/{conversation_id}/description", status_code=status.HTTP_204_NO_CONTENT)
async def rename(owner: Owner, conversation: ConversationRef, body: Rename, app: App) -> None:
    await app.conversations.rename(owner, conversation, body.description)


@router.put("/conversations/{conversation_id}/starred", status_code=status.HTTP_204_NO_CONTENT)
async def star(owner: Owner, conversation: ConversationRef, body: Star, app: App) -> None:
    await app.conversations.star(owner, conversation, body.starred)


@router.put("/conversations/{conversation_id}/read", status_code=status.HTTP_204_NO_CONTENT)
async def mark_read(owner: Owner, conversation: ConversationRef, body: MarkRead, app: App) -> None:
    await app.conversations.mark_read(owner, conversation, body.read)


@router.delete("/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(owner: Owner, conversation: ConversationRef, app: App) -> None:
    await app.conversations.delete(owner, conversation)


@router.get("/stats")
async def stats(owner: Owner, app: App) -> StatsOut:
    return StatsOut.from_domain(await app.conversations.stats(owner))
