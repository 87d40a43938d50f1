"""Chat-export importers: ChatGPT ``conversations.json`` and Claude.ai exports into domain Conversations.

Streaming (ijson), idempotent (ids derived from the owner and the export's ids), written through
``ConversationService.import_conversations`` (the store's bulk path). See docs/import.md.
"""

from gaia_adapters.importers.errors import BrokenConversation, UnusableFile
from gaia_adapters.importers.pipeline import (
    ImportOptions,
    ImportProgress,
    ImportReport,
    SkippedConversation,
    check_export,
    ensure_user,
    import_export,
)
from gaia_adapters.importers.stream import ExportFormat

__all__ = [
    "BrokenConversation",
    "ExportFormat",
    "ImportOptions",
    "ImportProgress",
    "ImportReport",
    "SkippedConversation",
    "UnusableFile",
    "check_export",
    "ensure_user",
    "import_export",
]
