"""Application services: one method per use case, written against the ports only."""

from gaia_domain.services.bus import EventDispatcher, HandlerFailure, MessageBus
from gaia_domain.services.conversations import ConversationService, NewMessage
from gaia_domain.services.goals import GoalService
from gaia_domain.services.users import UserService

__all__ = [
    "ConversationService",
    "EventDispatcher",
    "GoalService",
    "HandlerFailure",
    "MessageBus",
    "NewMessage",
    "UserService",
]
