"""Messages: send, page (newest first), edit, pin; pinned messages and search across conversations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from examples.fastapi_app.dependencies import App, ConversationRef, MessageRef, Owner
from gaia_domain.pagination import DEFAULT_PAGE_SIZE
from gaia_domain.schemas import (
    EditMessage,
    MessageOut,
    PageOut,
    PinMessage,
    PinnedMessageOut,
    SearchHitOut,
    SendMessages,
)

router = APIRouter(prefix="/users/{user_id}", tags=["messages"])

Limit = Annotated[int, Query(description="page size, 1..200")]


@router.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_201_CREATED)
async def send(owner: Owner, conversation: ConversationRef, body: SendMessages, app: App) -> list[MessageOut]:
    """Append atomically; a message id already in the conversation is 409 and nothing is appended."""
    sent = await app.conversations.send_messages(owner, conversation, body.to_domain())
    return [MessageOut.from_domain(message) for message in sent]


@router.get("/conversations/{conversation_id}/messages")
async def page(
    owner: Owner,
    conversation: ConversationRef,
    app: App,
    limit: Limit = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> PageOut[MessageOut]:
    """Newest first; messages appended between requests never shift or repeat older pages."""
    found = await app.conversations.messages_page(owner, conversation, limit=limit, cursor=cursor)
    return PageOut[MessageOut].from_page(found, MessageOut.from_domain)


@router.patch("/conversations/{conversation_id}/messages/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
async def edit(owner: Owner, conversation: ConversationRef, message: MessageRef, body: EditMessage, app: App) -> None:
    await app.conversations.edit_message(owner, conversation, message, body.content)


@router.put("/conversations/{conversation_id}/messages/{message_id}/pinned", status_code=status.HTTP_204_NO_CONTENT)
async def pin(owner: Owner, conversation: ConversationRef, message: MessageRef, body: PinMessage, app: App) -> None:
    await app.conversations.pin_message(owner, conversation, message, body.pinned)


@router.get("/pinned")
async def pinned(owner: Owner, app: App, limit: Limit = 50) -> list[PinnedMessageOut]:
    """Pinned messages across the user's conversations, newest first."""
    return [PinnedMessageOut.from_domain(item) for item in await app.conversations.pinned(owner, limit=limit)]


@router.get("/search")
async def search(
    owner: Owner,
    app: App,
    text: Annotated[str, Query(description="text to find (case-insensitive, literal)")],
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> list[SearchHitOut]:
    hits = await app.conversations.search(owner, text, limit=limit)
    return [SearchHitOut.from_domain(hit) for hit in hits]
