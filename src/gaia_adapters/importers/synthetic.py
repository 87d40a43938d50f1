"""Synthetic ChatGPT exports of any size, for benchmarks (B5, B7) and memory tests.

The file is written as a stream (never held in memory) and has the real files' quirks: a
message-less root, a hidden empty system prompt without a time, tool messages with the tool's
name, text in ``parts``/``text``/``result``, null times, escaped non-ASCII and an invisible word
joiner, and regenerated answers off the visible thread. The returned counts are what the importer
must report (visible thread only)::

    export = write_chatgpt_export(Path("big.json"), target_bytes=50_000_000)
    # gaia-db import big.json --user a@example.org  -> export.conversations, export.visible_messages
"""

from __future__ import annotations

import json
import os
import random
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_WORDS = (
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "assistant",
    "explains",
    "database",
    "transactions",
    "keyset",
    "pagination",
    "aggregates",
    "café",
    "naïve",
    "Straße",
    "東京",
    "данные",
    "—",
    "“quoted”",
    "emoji",
    "😀",
    "and",
    "more",
    "words",
)


@dataclass(frozen=True)
class SyntheticExport:
    path: Path
    conversations: int
    visible_messages: int
    bytes: int


def write_chatgpt_export(
    path: str | os.PathLike[str],
    *,
    target_bytes: int | None = None,
    conversations: int | None = None,
    turns: int = 10,
    words_per_message: int = 60,
    seed: int = 0,
) -> SyntheticExport:
    """Write conversations until ``target_bytes`` (or ``conversations``) is reached; returns what a reader sees.

    Each conversation has about ``turns`` user/assistant turns; every third turn calls a tool.
    """
    if (target_bytes is None) == (conversations is None):
        raise ValueError("give exactly one of target_bytes or conversations")
    rng = random.Random(seed)
    written = count = visible = 0
    path = Path(path)
    with path.open("w", encoding="ascii") as out:  # ensure_ascii: non-ASCII goes out escaped, as in real exports
        out.write("[")
        written += 1
        while (conversations is not None and count < conversations) or (
            target_bytes is not None and written < target_bytes
        ):
            conversation, shown = _conversation(rng, count, turns, words_per_message)
            chunk = ("," if count else "") + json.dumps(conversation, ensure_ascii=True)
            out.write(chunk)
            written += len(chunk)
            count += 1
            visible += shown
        out.write("]")
        written += 1
    return SyntheticExport(path=path, conversations=count, visible_messages=visible, bytes=written)


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _text(rng: random.Random, words: int) -> str:
    count = max(1, int(rng.gauss(words, words / 3)))
    text = " ".join(rng.choice(_WORDS) for _ in range(count))
    return text + ("\u2060" if rng.random() < 0.05 else "")


def _message(
    rng: random.Random, role: str, content: dict[str, Any], time: float | None, name: str | None = None
) -> dict[str, Any]:
    return {
        "id": _id(rng),
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": time,
        "update_time": None,
        "content": content,
        "status": "finished_successfully",
        "end_turn": True,
        "weight": 1.0,
        "metadata": {},
        "recipient": "all",
    }


def _conversation(rng: random.Random, index: int, turns: int, words: int) -> tuple[dict[str, Any], int]:
    start = 1_600_000_000.0 + index * 3600.0 + rng.random()
    mapping: dict[str, dict[str, Any]] = {}

    def add(message: dict[str, Any] | None, parent: str | None) -> str:
        node_id = message["id"] if message else _id(rng)
        mapping[node_id] = {"id": node_id, "message": message, "parent": parent, "children": []}
        if parent is not None:
            mapping[parent]["children"].append(node_id)
        return node_id

    root = add(None, None)
    system = _message(rng, "system", {"content_type": "text", "parts": [""]}, None)
    system["metadata"] = {"is_visually_hidden_from_conversation": True}
    current = add(system, root)
    visible = 0
    time = start
    for turn in range(max(1, int(rng.gauss(turns, turns / 3)))):
        time += rng.uniform(5, 120)
        current = add(_message(rng, "user", {"content_type": "text", "parts": [_text(rng, words // 3)]}, time), current)
        visible += 1
        if turn % 3 == 2:
            call = {"content_type": "code", "language": "unknown", "text": f'search("{_text(rng, 4)}")'}
            current = add(_message(rng, "assistant", call, time + 1), current)
            result = {"content_type": "tether_browsing_display", "result": _text(rng, words), "summary": None}
            current = add(_message(rng, "tool", result, None, name="browser"), current)  # null time: nearest earlier
            visible += 2
        asked = current
        answer = {"content_type": "text", "parts": [_text(rng, words)]}
        current = add(_message(rng, "assistant", answer, time + 2), asked)
        visible += 1
        if rng.random() < 0.2:  # a regenerated answer replaces the first one on the visible thread
            again = {"content_type": "text", "parts": [_text(rng, words)]}
            current = add(_message(rng, "assistant", again, time + 3), asked)
    # The root is listed after its first child, as in real exports.
    ordered = dict(list(mapping.items())[1:2] + list(mapping.items())[:1] + list(mapping.items())[2:])
    conversation = {
        "title": f"Synthetic conversation {index} — {_text(rng, 3)}",
        "create_time": start,
        "update_time": time + 3,
        "mapping": ordered,
        "moderation_results": [],
        "current_node": current,
        "plugin_ids": None,
        "conversation_id": _id(rng),
        "id": None,
        "is_archived": False,
    }
    conversation["id"] = conversation["conversation_id"]
    return conversation, visible
