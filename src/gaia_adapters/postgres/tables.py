"""The relational schema as SQLAlchemy Core metadata: the source of truth for the Alembic migrations.

The hot path does not build statements from these tables (see ``sql.py``); the migration test proves
the migrated schema equals this metadata.

* ``users.email_normalized`` holds :attr:`Email.normalized` computed in Python and carries the unique
  index. A functional index on ``lower(email)`` would fold case with the database's locale (the C locale
  folds ASCII only), so uniqueness could differ from the domain's rule and from the fakes.
* ``goals`` are listed newest first per owner: the index matches ``ORDER BY created_at DESC, id DESC``.
* ``outbox`` is drained by a relay: it claims due rows (``status = 'pending' AND available_at <= now()``,
  ``FOR UPDATE SKIP LOCKED``), leases them by moving ``available_at`` forward and counting ``attempts``,
  then marks them ``dispatched`` or, after a failure, schedules the retry (``available_at`` + backoff,
  ``last_error``) or parks them as ``dead``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def _time(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


users = Table(
    "users",
    metadata,
    Column("id", Uuid(as_uuid=True), primary_key=True),
    Column("email", Text, nullable=False),
    Column("email_normalized", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("picture_url", Text, nullable=True),
    Column("timezone", Text, nullable=False, server_default=text("'UTC'")),
    Column("onboarding", JSONB, nullable=False),
    Column("legacy_id", Text, nullable=True),
    _time("created_at"),
    _time("updated_at"),
    _time("last_active_at", nullable=True),
    Column("version", Integer, nullable=False),
    CheckConstraint("version >= 1", name="version_positive"),
    Index("uq_users_email_normalized", "email_normalized", unique=True),
    Index("uq_users_legacy_id", "legacy_id", unique=True),
)

goals = Table(
    "goals",
    metadata,
    Column("id", Uuid(as_uuid=True), primary_key=True),
    Column("user_id", Uuid(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("roadmap", JSONB, nullable=False),
    Column("conversation_id", Text, nullable=True),
    _time("created_at"),
    _time("updated_at"),
    _time("completed_at", nullable=True),
    Column("version", Integer, nullable=False),
    CheckConstraint("version >= 1", name="version_positive"),
    Index("ix_goals_user_id_created_at_id", "user_id", text("created_at DESC"), text("id DESC")),
)

OUTBOX_STATUSES = ("pending", "dispatched", "dead")

outbox = Table(
    "outbox",
    metadata,
    Column("event_id", Uuid(as_uuid=True), primary_key=True),
    # Insertion order: the relay delivers due events first in, first out.
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    _time("occurred_at"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("available_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=True),
    _time("dispatched_at", nullable=True),
    CheckConstraint("status IN ('pending', 'dispatched', 'dead')", name="status_known"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    # The relay's claim query reads only due, pending rows in order: a small partial index.
    Index(
        "ix_outbox_pending_available_at_seq",
        "available_at",
        "seq",
        postgresql_where=text("status = 'pending'"),
    ),
)

__all__ = ["OUTBOX_STATUSES", "goals", "metadata", "outbox", "users"]
