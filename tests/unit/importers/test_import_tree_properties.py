"""Property: for any message tree, the visible thread is the path to the current node, and
--all-branches gives exactly one conversation per leaf, each the path from the root to that leaf."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from import_helpers import gpt_message

from gaia_adapters.importers import chatgpt
from gaia_adapters.importers.building import BuildContext, build
from gaia_domain.ids import UserId


@st.composite
def trees(draw: st.DrawFn) -> tuple[dict[str, Any], list[int | None], int]:
    """A ChatGPT conversation over nodes 0..n-1 (node 0: the message-less root), nodes listed in random order."""
    size = draw(st.integers(min_value=2, max_value=25))
    parents: list[int | None] = [None] + [draw(st.integers(min_value=0, max_value=i - 1)) for i in range(1, size)]
    leaves = [i for i in range(size) if i not in parents]
    current = draw(st.sampled_from(leaves))
    order = draw(st.permutations(range(size)))
    mapping: dict[str, Any] = {}
    for node in order:
        message = None if node == 0 else gpt_message("user" if node % 2 else "assistant", f"m{node}")
        children = [f"n{i}" for i in range(size) if parents[i] == node]
        parent = parents[node]
        mapping[f"n{node}"] = {
            "message": message,
            "parent": None if parent is None else f"n{parent}",
            "children": children,
        }
    conversation = {"title": "Tree", "conversation_id": "tree", "create_time": 1.7e9, "mapping": mapping}
    conversation["current_node"] = f"n{current}"
    return conversation, parents, current


def _path(parents: list[int | None], leaf: int) -> list[str]:
    path: list[str] = []
    node: int | None = leaf
    while node:  # node 0 is the root without a message
        path.append(f"m{node}")
        node = parents[node]
    return path[::-1]


CTX = BuildContext(user_id=UserId.new(), now=datetime(2026, 1, 1, tzinfo=UTC))


@settings(max_examples=100, deadline=None)
@given(trees())
def test_visible_thread_is_the_path_to_the_current_node(tree: tuple[dict[str, Any], list[int | None], int]) -> None:
    raw, parents, current = tree
    (conversation,) = build(chatgpt.parse(raw, CTX), CTX).conversations
    assert [m.content for m in conversation.messages] == _path(parents, current)


@settings(max_examples=100, deadline=None)
@given(trees())
def test_all_branches_is_one_conversation_per_leaf(tree: tuple[dict[str, Any], list[int | None], int]) -> None:
    raw, parents, current = tree
    ctx = BuildContext(user_id=CTX.user_id, now=CTX.now, all_branches=True)
    conversations = build(chatgpt.parse(raw, ctx), ctx).conversations
    leaves = [i for i in range(len(parents)) if i not in parents]
    assert [m.content for m in conversations[0].messages] == _path(parents, current)
    assert sorted(tuple(m.content for m in c.messages) for c in conversations) == sorted(
        tuple(_path(parents, leaf)) for leaf in leaves
    )
    assert len({c.id for c in conversations}) == len(conversations) == len(leaves)
