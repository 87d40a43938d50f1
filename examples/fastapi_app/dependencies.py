"""What routes receive: the application services (opened by the lifespan) and parsed ids.

A malformed id in the path is ``InvalidInput`` naming the parameter (422); a well-formed id of
something that does not exist, or that belongs to another user, is ``NotFound`` (404).
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from gaia_adapters.container import Services
from gaia_domain.ids import ConversationId, GoalId, MessageId, UserId


class NotStarted(RuntimeError):
    """A request reached the app outside its lifespan (the server did not run startup, or it has shut down)."""


def services(request: Request) -> Services:
    """The services the lifespan put into the app's state (one set per running app)."""
    found = getattr(request.app.state, "services", None)
    if found is None:
        raise NotStarted("the application's lifespan is not running: no database resources are open")
    return cast(Services, found)


def user_id(user_id: str) -> UserId:
    return UserId.parse(user_id, "user_id")


def conversation_id(conversation_id: str) -> ConversationId:
    return ConversationId.parse(conversation_id, "conversation_id")


def message_id(message_id: str) -> MessageId:
    return MessageId.parse(message_id, "message_id")


def goal_id(goal_id: str) -> GoalId:
    return GoalId.parse(goal_id, "goal_id")


App = Annotated[Services, Depends(services)]
Owner = Annotated[UserId, Depends(user_id)]
ConversationRef = Annotated[ConversationId, Depends(conversation_id)]
MessageRef = Annotated[MessageId, Depends(message_id)]
GoalRef = Annotated[GoalId, Depends(goal_id)]
