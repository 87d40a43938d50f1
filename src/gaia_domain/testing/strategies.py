"""Hypothesis strategies: valid aggregates, and hostile input every adapter must reject or store as plain data.

Valid strategies draw their ids too (no hidden randomness), so failing examples replay and shrink.
"""

from __future__ import annotations

import string
import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from gaia_domain.clock import ManualClock
from gaia_domain.conversations import MAX_CONTENT, Conversation, Message, Role, Source, ToolData
from gaia_domain.goals import Goal, Roadmap, RoadmapEdge, RoadmapNode
from gaia_domain.ids import ConversationId, GoalId, MessageId, UserId
from gaia_domain.pagination import encode_cursor
from gaia_domain.users import User

# -- building blocks ------------------------------------------------------------------------------------

MIN_TIME = datetime(2000, 1, 1)
MAX_TIME = datetime(2100, 1, 1)

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
aware_datetimes = st.datetimes(min_value=MIN_TIME, max_value=MAX_TIME, timezones=st.just(UTC) | offsets)
"""Timezone-aware datetimes in any offset, with microseconds (the domain truncates them to milliseconds)."""

user_ids = st.uuids().map(UserId)
goal_ids = st.uuids().map(GoalId)
conversation_ids = st.binary(min_size=12, max_size=12).map(lambda b: ConversationId(b.hex()))
message_ids = st.binary(min_size=12, max_size=12).map(lambda b: MessageId(b.hex()))

storable_characters = st.characters(codec="utf-8", exclude_characters="\x00")
"""Any character PostgreSQL and BSON can store: no NUL, no lone surrogate."""


def storable_text(*, min_size: int = 0, max_size: int = 60) -> st.SearchStrategy[str]:
    return st.text(storable_characters, min_size=min_size, max_size=max_size)


def nonblank_text(max_size: int = 60) -> st.SearchStrategy[str]:
    return storable_text(min_size=1, max_size=max_size).filter(lambda s: bool(s.strip()))


_local_chars = string.ascii_letters + string.digits + "._%+-"
_label = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)

emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    st.text(_local_chars, min_size=1, max_size=30),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "io", "de", "COM"]),
)
"""Valid email addresses, mixed letter case included."""


def _swap_case(text: str, mask: int) -> str:
    return "".join(c.swapcase() if mask >> (i % 60) & 1 else c for i, c in enumerate(text))


def case_variants(email: str) -> st.SearchStrategy[str]:
    """The same address in other letter cases and with surrounding spaces (equal to it for lookups)."""
    return st.builds(
        lambda mask, pad: f"{' ' * pad}{_swap_case(email, mask)}{' ' * pad}",
        st.integers(min_value=0, max_value=2**60),
        st.integers(min_value=0, max_value=2),
    )


# -- valid aggregates -----------------------------------------------------------------------------------


@st.composite
def users(draw: st.DrawFn) -> User:
    return User.register(
        email=draw(emails),
        name=draw(nonblank_text(100)),
        clock=ManualClock(draw(aware_datetimes)),
        timezone=draw(st.sampled_from(["UTC", "Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata"])),
        picture_url=draw(st.none() | st.just("https://example.com/p.png")),
        legacy_id=draw(st.none() | st.text(string.hexdigits, min_size=1, max_size=24)),
        user_id=draw(user_ids),
    )


@st.composite
def roadmaps(draw: st.DrawFn, max_nodes: int = 8) -> Roadmap:
    """A DAG: edges only go from an earlier node to a later one."""
    size = draw(st.integers(min_value=0, max_value=max_nodes))
    nodes = tuple(
        RoadmapNode(
            id=f"n{i}",
            label=draw(nonblank_text(40)),
            details=draw(storable_text(max_size=40)),
            completed=draw(st.booleans()),
        )
        for i in range(size)
    )
    pairs = [(i, j) for i in range(size) for j in range(i + 1, size)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=12)) if pairs else []
    return Roadmap(nodes=nodes, edges=tuple(RoadmapEdge(f"n{i}", f"n{j}") for i, j in chosen))


@st.composite
def goals(draw: st.DrawFn, owner: UserId | None = None) -> Goal:
    return Goal.create(
        user_id=owner or draw(user_ids),
        title=draw(nonblank_text(200)),
        description=draw(storable_text(max_size=100)),
        roadmap=draw(roadmaps()),
        clock=ManualClock(draw(aware_datetimes)),
        goal_id=draw(goal_ids),
    )


_json_keys = st.text(string.ascii_letters + "_-", min_size=1, max_size=10)
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | storable_text(max_size=20)
)
json_values = (
    _json_scalars | st.lists(_json_scalars, max_size=3) | st.dictionaries(_json_keys, _json_scalars, max_size=3)
)
"""JSON values two levels deep (deep enough for every store's rules, cheap to generate)."""

tool_data = st.builds(
    ToolData,
    tool_name=st.sampled_from(["search", "weather", "calendar", "code", "memory"]),
    data=st.dictionaries(_json_keys, json_values, max_size=4),
    category=st.none() | st.sampled_from(["web", "productivity"]),
)


@st.composite
def messages(draw: st.DrawFn, created_at: datetime | None = None) -> Message:
    return Message(
        id=draw(message_ids),
        role=draw(st.sampled_from(Role)),
        content=draw(storable_text(max_size=80)),
        created_at=created_at or draw(aware_datetimes),
        pinned=draw(st.booleans()),
        tool_data=tuple(draw(st.lists(tool_data, max_size=2))),
    )


@st.composite
def conversations(draw: st.DrawFn, owner: UserId | None = None, max_messages: int = 5) -> Conversation:
    batch = draw(st.lists(messages(), max_size=max_messages, unique_by=lambda m: m.id))
    return Conversation.start(
        user_id=owner or draw(user_ids),
        clock=ManualClock(draw(aware_datetimes)),
        description=draw(nonblank_text(200)),
        source=draw(st.sampled_from(Source)),
        messages=batch,
        conversation_id=draw(conversation_ids),
    )


# -- hostile input --------------------------------------------------------------------------------------

nul_text = st.builds(lambda a, b: f"{a}\x00{b}", storable_text(max_size=10), storable_text(max_size=10))
lone_surrogate_text = st.builds(
    lambda a, s, b: f"{a}{s}{b}",
    storable_text(max_size=10),
    st.characters(categories=["Cs"]),
    storable_text(max_size=10),
)


def oversize_text(limit: int) -> st.SearchStrategy[str]:
    """Text one to a few characters longer than ``limit`` (non-blank, so only the length is wrong)."""
    return st.integers(min_value=1, max_value=5).map(lambda extra: "x" * (limit + extra))


oversize_content = oversize_text(MAX_CONTENT)
naive_datetimes = st.datetimes(min_value=MIN_TIME, max_value=MAX_TIME)

regex_metacharacters = st.text(".^$*+?{}[]\\|()", min_size=1, max_size=8) | st.sampled_from(
    [".*", "(a|b)", "[^x]", "\\d+", "a{2,}", "(?i)x", "\\", "(", "*"]
)
mongo_operators = st.sampled_from(
    ["$where", "$ne", '{"$gt": ""}', '{"$regex": ".*"}', "this.password", "$expr", "'; return true; var x='"]
) | st.from_regex(r"\$[a-z]{1,12}", fullmatch=True)
"""Text that would be an operator, a JavaScript filter or a pattern if an adapter ever interpolated it."""

malformed_uuid_strings = st.sampled_from(["", "nope", "1234", "0" * 31, "g" * 32, "{not-a-uuid}"]) | st.text(
    string.ascii_letters, min_size=1, max_size=20
)
malformed_hex_ids = st.sampled_from(["", "0" * 23, "0" * 25, "z" * 24, "ObjectId('abc')", "0x" + "0" * 22]) | st.text(
    "ghijklmnopqrstuvwxyz", min_size=24, max_size=24
)
malformed_emails = st.sampled_from(
    ["", " ", "plain", "a@b", "@example.com", "a@@example.com", "a b@example.com", "a@example..com", "a@.com"]
)


def _tampered(value: uuid.UUID) -> str:
    """A real cursor with one character of its body changed (always a different byte: no padding there)."""
    good = encode_cursor("users", {"id": str(value)})
    return good[:10] + ("B" if good[10] == "A" else "A") + good[11:]


malformed_cursors = (
    st.sampled_from(["", "x", "====", "not a cursor", "e30"])
    | st.builds(
        lambda kind: encode_cursor(kind, {"id": "not-an-id", "t": "yesterday", "c": "x", "i": -1}),
        st.sampled_from(["users", "goals", "conversations", "messages"]),
    )
    | st.builds(_tampered, st.uuids(version=4))
)
"""Garbage, a cursor with a malformed key, and a tampered cursor."""

hostile_text = nul_text | lone_surrogate_text | regex_metacharacters | mongo_operators


@st.composite
def cyclic_roadmap_parts(draw: st.DrawFn) -> tuple[tuple[RoadmapNode, ...], tuple[RoadmapEdge, ...]]:
    """Nodes and edges whose edges contain a cycle (a self-loop or a longer ring)."""
    size = draw(st.integers(min_value=1, max_value=6))
    nodes = tuple(RoadmapNode(id=f"n{i}", label=f"step {i}") for i in range(size))
    ring = draw(st.lists(st.sampled_from(range(size)), min_size=1, max_size=size, unique=True))
    edges = [RoadmapEdge(f"n{a}", f"n{b}") for a, b in zip(ring, ring[1:] + ring[:1], strict=True)]
    return nodes, tuple(draw(st.permutations(edges)))
