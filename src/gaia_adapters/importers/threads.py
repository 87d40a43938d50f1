"""Message trees: exports store edits and regenerations as siblings linked by parent ids."""

from __future__ import annotations

from collections.abc import Mapping

from gaia_adapters.importers.errors import BrokenConversation

Parents = Mapping[str, str | None]  # node id -> parent node id (None for a root)

_ON_PATH, _DONE = 1, 2


def check_tree(parents: Parents) -> None:
    """Every parent exists and following parents always ends at a root (no cycle). O(number of nodes)."""
    state: dict[str, int] = {}
    for start in parents:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) != _DONE:
            if state.get(node) == _ON_PATH:
                raise BrokenConversation(f"cycle in the parent links at node {node!r:.60}")
            state[node] = _ON_PATH
            path.append(node)
            parent = parents[node]
            if parent is not None and parent not in parents:
                raise BrokenConversation(f"node {node!r:.60} names a parent {parent!r:.60} that is not in the export")
            node = parent
        for visited in path:
            state[visited] = _DONE


def thread_to(parents: Parents, leaf: str) -> list[str]:
    """The node ids from the root down to ``leaf``. Call :func:`check_tree` first."""
    thread: list[str] = []
    node: str | None = leaf
    while node is not None:
        thread.append(node)
        node = parents[node]
        if len(thread) > len(parents):  # defensive: a cycle that check_tree was not asked about
            raise BrokenConversation(f"cycle in the parent links above node {leaf!r:.60}")
    thread.reverse()
    return thread


def leaves(parents: Parents) -> list[str]:
    """Nodes no other node names as its parent, in the export's order."""
    has_children = {parent for parent in parents.values() if parent is not None}
    return [node for node in parents if node not in has_children]
