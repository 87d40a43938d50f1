"""Property: whatever JSON a conversation holds, parsing and building either succeed or raise
BrokenConversation (reported and skipped) — never another exception that would stop the import."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaia_adapters.importers import chatgpt, claude
from gaia_adapters.importers.building import BuildContext, build
from gaia_adapters.importers.errors import BrokenConversation
from gaia_domain.ids import UserId

CTX = BuildContext(user_id=UserId.new(), now=datetime(2026, 1, 1, tzinfo=UTC), all_branches=True)

scalars = (
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
ids = st.sampled_from(["a", "b", "c", "d"])


def _anything_or(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, json_values)


gpt_messages = st.fixed_dictionaries(
    {
        "author": _anything_or(
            st.fixed_dictionaries(
                {"role": _anything_or(st.sampled_from(["user", "assistant", "system", "tool"])), "name": json_values}
            )
        ),
        "content": _anything_or(
            st.fixed_dictionaries(
                {
                    "content_type": _anything_or(st.sampled_from(["text", "code", "multimodal_text"])),
                    "parts": _anything_or(st.lists(_anything_or(st.text(max_size=5)), max_size=3)),
                    "text": json_values,
                }
            )
        ),
        "create_time": json_values,
        "metadata": json_values,
    }
)
gpt_nodes = st.fixed_dictionaries(
    {
        "parent": _anything_or(st.none() | ids),
        "children": _anything_or(st.lists(ids, max_size=3)),
        "message": _anything_or(st.none() | gpt_messages),
    }
)
gpt_conversations = st.fixed_dictionaries(
    {
        "conversation_id": _anything_or(st.just("conv")),
        "title": json_values,
        "create_time": json_values,
        "current_node": _anything_or(ids),
        "mapping": _anything_or(st.dictionaries(ids, _anything_or(gpt_nodes), max_size=4)),
    }
)
claude_messages = st.fixed_dictionaries(
    {
        "uuid": _anything_or(ids),
        "sender": _anything_or(st.sampled_from(["human", "assistant"])),
        "text": json_values,
        "content": _anything_or(
            st.lists(
                _anything_or(
                    st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(["text", "tool_use", "tool_result", "thinking"]),
                            "text": json_values,
                            "name": json_values,
                            "input": json_values,
                            "content": json_values,
                        }
                    )
                ),
                max_size=3,
            )
        ),
        "created_at": json_values,
        "parent_message_uuid": _anything_or(ids | st.just("00000000-0000-4000-8000-000000000000")),
        "index": json_values,
    }
)
claude_conversations = st.fixed_dictionaries(
    {
        "uuid": _anything_or(st.just("conv")),
        "name": json_values,
        "current_leaf_message_uuid": _anything_or(ids),
        "chat_messages": _anything_or(st.lists(claude_messages, max_size=4)),
    }
)


@pytest.mark.parametrize(
    ("parser", "strategy"),
    [(chatgpt.parse, gpt_conversations), (claude.parse, claude_conversations)],
    ids=["chatgpt", "claude"],
)
def test_hostile_conversations_are_built_or_reported_never_crash(parser: Any, strategy: Any) -> None:
    @settings(max_examples=150, deadline=None)
    @given(_anything_or(strategy))
    def check(raw: Any) -> None:
        try:
            built = build(parser(raw, CTX), CTX)
        except BrokenConversation as exc:
            reason = exc.reason
            assert reason, "a skipped conversation is reported with a reason"
            return
        assert built.conversations
        assert all(c.messages for c in built.conversations)

    check()
