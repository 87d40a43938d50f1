"""An event's fields as JSON: checked, encoded and decoded from the dataclass's own type hints.

A field may be (docs/consistency.md, "Event field types"):

* ``str`` (no NUL, no lone surrogate: neither survives PostgreSQL's jsonb), ``int`` (signed 64 bits),
  ``float`` (finite), ``bool``, ``datetime`` (aware; held and stored in UTC), ``uuid.UUID``, a domain id
  (``UserId``, ``GoalId``, ``EventId``, ``ConversationId``, ``MessageId``), an ``Enum`` whose values are all
  ``str`` or all ``int``;
* ``list[X]``, ``tuple[X, ...]``, ``dict[str, X]`` of allowed types, nested freely;
* ``X | None``, and unions ``X | Y | ...`` (optionally ``| None``) whose members have distinct tags (below).

Values are checked by their exact type (a ``bool`` is not an ``int``, an ``int`` is not a ``float``, a ``str``
is not a ``UserId``), so that decoding gives back exactly what was raised. ``X | None`` is encoded as ``X``
or ``null``. A union of several types is encoded tagged, ``{"type": "UserId", "value": "…"}``: the tag is the
member's class name (``str``, ``int``, ``float``, ``bool``, ``datetime``, ``UUID``, ``list``, ``tuple``,
``dict``, or the id's / enum's name). Two members with the same tag (``list[int] | list[str]``, two enums
called ``Status``) cannot be told apart: such an event class is refused when it is registered or first built.

Payloads written before the tagged unions (and naive timestamps) still decode: see :meth:`_Union.decode` and
:meth:`_DateTime.decode`.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
import uuid
from datetime import UTC, datetime
from typing import Any, Union

from gaia_domain.errors import InvalidInput
from gaia_domain.ids import _HexId, _UuidId

JsonValue = Any  # a JSON-compatible value; kept loose on purpose (recursive aliases are noisy here)

_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_TAG, _VALUE = "type", "value"


def _got(value: object) -> str:
    return type(value).__name__


class _Codec:
    """One declared type: ``owns`` tells a value of it apart, ``encode`` checks and converts, ``decode`` inverts."""

    name: str  # shown in messages, as the annotation reads
    tag: str  # names the member in a tagged union

    def owns(self, value: object) -> bool:
        raise NotImplementedError

    def canonical(self, path: str, value: object) -> object:
        """The value as an event holds it (the same object unless a datetime had to move to UTC); checked."""
        self.encode(path, value)
        return value

    def encode(self, path: str, value: object) -> JsonValue:
        raise NotImplementedError

    def decode(self, path: str, raw: JsonValue) -> object:
        raise NotImplementedError

    def wrong(self, path: str, value: object) -> InvalidInput:
        return InvalidInput(path, f"must be {self.name}, got {_got(value)}")


class _Exact(_Codec):
    """str, int, float, bool: the value itself, of exactly that type."""

    def __init__(self, kind: type) -> None:
        self.kind, self.name, self.tag = kind, kind.__name__, kind.__name__

    def owns(self, value: object) -> bool:
        return type(value) is self.kind

    def encode(self, path: str, value: object) -> JsonValue:
        if type(value) is not self.kind:
            raise self.wrong(path, value)
        _check_scalar(path, value)
        return value

    def decode(self, path: str, raw: JsonValue) -> object:
        if self.kind is float and type(raw) is int:  # JSON has one number type; some writers drop the ".0"
            raw = float(raw)
        return self.encode(path, raw)


def _check_scalar(path: str, value: object) -> None:
    if type(value) is str:
        _check_text(path, value)
    elif type(value) is int and not _INT_MIN <= value <= _INT_MAX:
        raise InvalidInput(path, "must fit in a signed 64-bit integer")
    elif type(value) is float and not math.isfinite(value):
        raise InvalidInput(path, f"must be a finite float, got {value!r}")


def _check_text(path: str, value: str) -> None:
    if "\x00" in value:
        raise InvalidInput(path, "must not contain NUL characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInput(path, "must be valid Unicode (lone surrogate found)") from exc


class _DateTime(_Codec):
    name, tag = "datetime", "datetime"

    def owns(self, value: object) -> bool:
        return type(value) is datetime

    def canonical(self, path: str, value: object) -> datetime:
        """Aware, converted to UTC (as every timestamp in the domain); naive is refused."""
        if type(value) is not datetime:
            raise self.wrong(path, value)
        if value.tzinfo is UTC:
            return value
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(path, "must be timezone-aware (naive datetimes are rejected)")
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise InvalidInput(path, "is out of the representable range") from exc

    def encode(self, path: str, value: object) -> JsonValue:
        return self.canonical(path, value).isoformat()

    def decode(self, path: str, raw: JsonValue) -> object:
        """ISO 8601, returned in UTC; a naive value (only stored before events were checked) is taken as UTC."""
        if type(raw) is not str:
            raise self.wrong(path, raw)
        try:
            parsed = datetime.fromisoformat(raw)
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            raise InvalidInput(path, f"is not an ISO 8601 timestamp: {raw[:64]!r}") from exc


class _Uuid(_Codec):
    name, tag = "UUID", "UUID"

    def owns(self, value: object) -> bool:
        return type(value) is uuid.UUID

    def encode(self, path: str, value: object) -> JsonValue:
        if type(value) is not uuid.UUID:
            raise self.wrong(path, value)
        return str(value)

    def decode(self, path: str, raw: JsonValue) -> object:
        if type(raw) is not str:
            raise self.wrong(path, raw)
        try:
            return uuid.UUID(raw)
        except ValueError as exc:
            raise InvalidInput(path, f"is not a valid UUID: {raw[:64]!r}") from exc


class _Id(_Codec):
    def __init__(self, kind: type[_UuidId] | type[_HexId]) -> None:
        self.kind, self.name, self.tag = kind, kind.__name__, kind.__name__

    def owns(self, value: object) -> bool:
        return type(value) is self.kind

    def encode(self, path: str, value: object) -> JsonValue:
        if type(value) is not self.kind:
            hint = f" (parse it with {self.name}.parse)" if isinstance(value, str) else ""
            raise InvalidInput(path, f"must be {self.name}, got {_got(value)}{hint}")
        return str(value)

    def decode(self, path: str, raw: JsonValue) -> object:
        if type(raw) is not str:
            raise self.wrong(path, raw)
        return self.kind.parse(raw, path)


class _Enum(_Codec):
    def __init__(self, kind: type[enum.Enum]) -> None:
        self.kind, self.name, self.tag = kind, kind.__name__, kind.__name__

    def owns(self, value: object) -> bool:
        return isinstance(value, self.kind)

    def encode(self, path: str, value: object) -> JsonValue:
        if not isinstance(value, self.kind):
            raise self.wrong(path, value)
        _check_scalar(path, value.value)  # a member's value is stored as it is: no NUL, 64 bits
        return value.value

    def decode(self, path: str, raw: JsonValue) -> object:
        if type(raw) not in (str, int):
            raise self.wrong(path, raw)
        try:
            return self.kind(raw)
        except ValueError as exc:
            raise InvalidInput(path, f"is not a {self.name}: {raw!r:.64}") from exc


class _List(_Codec):
    def __init__(self, item: _Codec) -> None:
        self.item, self.name, self.tag = item, f"list[{item.name}]", "list"

    def owns(self, value: object) -> bool:
        return type(value) is list

    def canonical(self, path: str, value: object) -> object:
        if type(value) is not list:
            raise self.wrong(path, value)
        items = [self.item.canonical(f"{path}[{i}]", v) for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items

    def encode(self, path: str, value: object) -> JsonValue:
        if type(value) is not list:
            raise self.wrong(path, value)
        return [self.item.encode(f"{path}[{i}]", v) for i, v in enumerate(value)]

    def decode(self, path: str, raw: JsonValue) -> object:
        if type(raw) is not list:
            raise self.wrong(path, raw)
        return [self.item.decode(f"{path}[{i}]", v) for i, v in enumerate(raw)]


class _Tuple(_Codec):
    def __init__(self, item: _Codec) -> None:
        self.item, self.name, self.tag = item, f"tuple[{item.name}, ...]", "tuple"

    def owns(self, value: object) -> bool:
        return type(value) is tuple

    def canonical(self, path: str, value: object) -> object:
        if type(value) is not tuple:
            raise self.wrong(path, value)
        items = tuple(self.item.canonical(f"{path}[{i}]", v) for i, v in enumerate(value))
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items

    def encode(self, path: str, value: object) -> JsonValue:
        if type(value) is not tuple:
            raise self.wrong(path, value)
        return [self.item.encode(f"{path}[{i}]", v) for i, v in enumerate(value)]

    def decode(self, path: str, raw: JsonValue) -> object:
        if type(raw) is not list:
            raise self.wrong(path, raw)
        return tuple(self.item.decode(f"{path}[{i}]", v) for i, v in enumerate(raw))


class _Dict(_Codec):
    def __init__(self, item: _Codec) -> None:
        self.item, self.name, self.tag = item, f"dict[str, {item.name}]", "dict"

    def owns(self, value: object) -> bool:
        return type(value) is dict

    def canonical(self, path: str, value: object) -> object:
        if type(value) is not dict:
            raise self.wrong(path, value)
        items = {self._key(path, k): self.item.canonical(f"{path}[{k!r}]", v) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items

    def encode(self, path: str, value: object) -> JsonValue:
        if type(value) is not dict:
            raise self.wrong(path, value)
        return {self._key(path, k): self.item.encode(f"{path}[{k!r}]", v) for k, v in value.items()}

    def decode(self, path: str, raw: JsonValue) -> object:
        if type(raw) is not dict:
            raise self.wrong(path, raw)
        return {self._key(path, k): self.item.decode(f"{path}[{k!r}]", v) for k, v in raw.items()}

    @staticmethod
    def _key(path: str, key: object) -> str:
        if type(key) is not str:
            raise InvalidInput(f"{path} key", f"must be str, got {_got(key)}")
        _check_text(f"{path} key", key)
        return key


class _Optional(_Codec):
    """``X | None``: ``X``'s encoding or ``null`` (as before the tagged unions)."""

    def __init__(self, inner: _Codec) -> None:
        self.inner, self.name, self.tag = inner, f"{inner.name} | None", inner.tag

    def owns(self, value: object) -> bool:
        return value is None or self.inner.owns(value)

    def canonical(self, path: str, value: object) -> object:
        return None if value is None else self.inner.canonical(path, value)

    def encode(self, path: str, value: object) -> JsonValue:
        return None if value is None else self.inner.encode(path, value)

    def decode(self, path: str, raw: JsonValue) -> object:
        return None if raw is None else self.inner.decode(path, raw)


class _Union(_Codec):
    """``X | Y | ...``: ``{"type": <member tag>, "value": <member encoding>}``; ``None`` as ``null``."""

    def __init__(self, members: list[_Codec], optional: bool) -> None:
        self.members = {m.tag: m for m in members}
        self.optional, self.tag = optional, "union"
        self.name = " | ".join([m.name for m in members] + (["None"] if optional else []))

    def owns(self, value: object) -> bool:
        return (value is None and self.optional) or any(m.owns(value) for m in self.members.values())

    def _member(self, path: str, value: object) -> _Codec:
        for member in self.members.values():
            if member.owns(value):
                return member
        raise self.wrong(path, value)

    def canonical(self, path: str, value: object) -> object:
        return None if value is None and self.optional else self._member(path, value).canonical(path, value)

    def encode(self, path: str, value: object) -> JsonValue:
        if value is None and self.optional:
            return None
        member = self._member(path, value)
        return {_TAG: member.tag, _VALUE: member.encode(path, value)}

    def decode(self, path: str, raw: JsonValue) -> object:
        """A tagged value; or an untagged one, written before unions were tagged (then decoded as it was read)."""
        if raw is None and self.optional:
            return None
        if type(raw) is dict and raw.keys() == {_TAG, _VALUE} and raw[_TAG] in self.members:
            return self.members[raw[_TAG]].decode(path, raw[_VALUE])
        plain = [m for m in self.members.values() if isinstance(m, _Exact) and m.owns(raw)]
        if plain:  # the raw JSON scalar is itself a member's value: what the untagged decoding returned
            return plain[0].decode(path, raw)
        fits: list[object] = []
        for member in self.members.values():
            try:
                fits.append(member.decode(path, raw))
            except InvalidInput:
                continue
        if len(fits) == 1:
            return fits[0]
        reason = "fits none of" if not fits else "is ambiguous (untagged) between"
        raise InvalidInput(path, f"{reason} {self.name}: {raw!r:.64}")


_EXACT = {kind: _Exact(kind) for kind in (str, int, float, bool)}


def compile_hint(hint: object, where: str) -> _Codec:
    """The codec for one annotation; ``TypeError`` naming ``where`` for a type an event cannot carry."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        optional = type(None) in args
        members = [compile_hint(a, where) for a in args if a is not type(None)]
        if len(members) == 1:
            return _Optional(members[0]) if optional else members[0]
        tags: dict[str, str] = {}
        for member in members:
            if member.tag in tags:
                raise TypeError(
                    f"{where}: {tags[member.tag]} and {member.name} cannot be told apart in a stored event "
                    f"(both are tagged {member.tag!r}); use one of them, or separate fields"
                )
            tags[member.tag] = member.name
        return _Union(members, optional)
    if origin is list and len(args) == 1:
        return _List(compile_hint(args[0], where))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _Tuple(compile_hint(args[0], where))
    if origin is dict and len(args) == 2:
        if args[0] is not str:
            raise TypeError(f"{where}: dict keys must be str (JSON object keys), got {args[0]!r}")
        return _Dict(compile_hint(args[1], where))
    if origin is not None or hint in (list, tuple, dict):
        raise TypeError(f"{where}: {hint!r} is not an event field type; use list[X], tuple[X, ...] or dict[str, X]")
    if isinstance(hint, type):
        if hint in _EXACT:
            return _EXACT[hint]
        if hint is datetime:
            return _DateTime()
        if hint is uuid.UUID:
            return _Uuid()
        if issubclass(hint, _UuidId | _HexId) and hint not in (_UuidId, _HexId):
            return _Id(hint)
        if issubclass(hint, enum.Enum):
            kinds = {type(member.value) for member in hint}
            if not (kinds <= {str} or kinds <= {int}):
                raise TypeError(f"{where}: enum {hint.__name__} must have only str or only int values")
            return _Enum(hint)
    raise TypeError(
        f"{where}: {hint!r} is not an event field type (allowed: str, int, float, bool, datetime, uuid.UUID, "
        "the domain ids, str/int enums, list[X], tuple[X, ...], dict[str, X], unions of those; "
        "see docs/consistency.md)"
    )


@dataclasses.dataclass(frozen=True, slots=True)
class FieldsCodec:
    """The codecs of one event class's fields, in declaration order."""

    owner: str
    fields: tuple[tuple[str, _Codec, bool, bool], ...]  # name, codec, settable through __init__, required

    def encode(self, event: object) -> dict[str, JsonValue]:
        """The event's JSON payload; InvalidInput naming the first field whose value does not fit its type."""
        try:
            return {name: codec.encode(name, getattr(event, name)) for name, codec, _, _ in self.fields}
        except InvalidInput as error:
            raise InvalidInput(error.field, f"{error.reason} (event {self.owner})") from None

    def canonicalize(self, event: object) -> None:
        """Check a new (frozen) event's fields against their types; datetimes are moved to UTC in place."""
        try:
            for name, codec, _, _ in self.fields:
                value = getattr(event, name)
                canonical = codec.canonical(name, value)
                if canonical is not value:
                    object.__setattr__(event, name, canonical)
        except InvalidInput as error:
            raise InvalidInput(error.field, f"{error.reason} (event {self.owner})") from None

    def decode(self, payload: dict[str, JsonValue]) -> dict[str, object]:
        """The constructor's keyword arguments; a field missing from the payload takes its default."""
        kwargs: dict[str, object] = {}
        for name, codec, init, required in self.fields:
            if init and name in payload:
                kwargs[name] = codec.decode(name, payload[name])
            elif required:
                raise InvalidInput(name, f"is missing from the payload (event {self.owner})")
        return kwargs


def compile_fields(cls: type) -> FieldsCodec:
    """The codec of a dataclass's fields, from its resolved type hints (``TypeError`` if one is not allowed)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} must be a dataclass (put @register_event above @dataclass)")
    try:
        hints = typing.get_type_hints(cls)
    except Exception as exc:
        raise TypeError(f"cannot resolve the field types of {cls.__name__}: {type(exc).__name__}: {exc}") from exc
    return FieldsCodec(
        cls.__name__,
        tuple(
            (
                f.name,
                compile_hint(hints[f.name], f"{cls.__name__}.{f.name}"),
                f.init,
                f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
            )
            for f in dataclasses.fields(cls)
        ),
    )
