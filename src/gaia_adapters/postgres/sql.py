"""The hot path's statements, written once as SQL text and run on the asyncpg connection.

asyncpg prepares each text once per connection and keeps it in its statement cache, so a unit of work
pays neither SQLAlchemy's compile step nor its result processing. Every write returns the transaction id
(in the same round trip): if a cancellation cuts off the reply to COMMIT, the unit of work asks
PostgreSQL whether that transaction committed, so its state never lies. The column lists here must follow
``tables.py``; the integration tests run every statement against the migrated schema.
"""

from __future__ import annotations

USER_COLUMNS = (
    "id, email, name, picture_url, timezone, onboarding, legacy_id, created_at, updated_at, last_active_at, version"
)
GOAL_COLUMNS = (
    "id, user_id, title, description, roadmap, conversation_id, created_at, updated_at, completed_at, version"
)

BEGIN = "BEGIN"
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"

# -- users ---------------------------------------------------------------------------------------------------

INSERT_USER = """
INSERT INTO users (id, email, email_normalized, name, picture_url, timezone, onboarding, legacy_id,
                   created_at, updated_at, last_active_at, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT DO NOTHING
RETURNING pg_current_xact_id()::text
"""

# Which unique key an insert collided with: the id first, then the email, then the legacy id.
USER_CONFLICT = """
SELECT id = $1, email_normalized = $2, legacy_id IS NOT DISTINCT FROM $3 AND $3::text IS NOT NULL
FROM users WHERE id = $1 OR email_normalized = $2 OR ($3::text IS NOT NULL AND legacy_id = $3)
"""

SELECT_USER = f"SELECT {USER_COLUMNS} FROM users WHERE id = $1"
SELECT_USER_BY_EMAIL = f"SELECT {USER_COLUMNS} FROM users WHERE email_normalized = $1"
SELECT_USER_BY_LEGACY_ID = f"SELECT {USER_COLUMNS} FROM users WHERE legacy_id = $1"
LIST_USERS_FIRST = f"SELECT {USER_COLUMNS} FROM users ORDER BY id LIMIT $1"
LIST_USERS_AFTER = f"SELECT {USER_COLUMNS} FROM users WHERE id > $2 ORDER BY id LIMIT $1"

UPDATE_USER = """
UPDATE users SET email = $3, email_normalized = $4, name = $5, picture_url = $6, timezone = $7, onboarding = $8,
                 legacy_id = $9, updated_at = $10, last_active_at = $11, version = $2 + 1
WHERE id = $1 AND version = $2
RETURNING pg_current_xact_id()::text
"""
USER_VERSION = "SELECT version FROM users WHERE id = $1"
DELETE_USER = "DELETE FROM users WHERE id = $1 RETURNING pg_current_xact_id()::text"

# -- goals ---------------------------------------------------------------------------------------------------

# The EXISTS guard reports a missing owner without raising the foreign-key error, which would abort the
# transaction; the foreign key still protects against an owner deleted concurrently.
INSERT_GOAL = """
INSERT INTO goals (id, user_id, title, description, roadmap, conversation_id, created_at, updated_at,
                   completed_at, version)
SELECT $1::uuid, $2::uuid, $3::text, $4::text, $5::jsonb, $6::text, $7::timestamptz, $8::timestamptz,
       $9::timestamptz, $10::integer
WHERE EXISTS (SELECT 1 FROM users WHERE id = $2::uuid)
ON CONFLICT DO NOTHING
RETURNING pg_current_xact_id()::text
"""
GOAL_EXISTS = "SELECT EXISTS (SELECT 1 FROM goals WHERE id = $1)"
SELECT_GOAL = f"SELECT {GOAL_COLUMNS} FROM goals WHERE id = $1 AND user_id = $2"
LIST_GOALS_FIRST = f"""
SELECT {GOAL_COLUMNS} FROM goals WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2
"""
LIST_GOALS_AFTER = f"""
SELECT {GOAL_COLUMNS} FROM goals WHERE user_id = $1 AND (created_at, id) < ($3, $4)
ORDER BY created_at DESC, id DESC LIMIT $2
"""
UPDATE_GOAL = """
UPDATE goals SET title = $4, description = $5, roadmap = $6, conversation_id = $7, updated_at = $8,
                 completed_at = $9, version = $3 + 1
WHERE id = $1 AND user_id = $2 AND version = $3
RETURNING pg_current_xact_id()::text
"""
GOAL_VERSION = "SELECT version FROM goals WHERE id = $1 AND user_id = $2"
DELETE_GOAL = "DELETE FROM goals WHERE id = $1 AND user_id = $2 RETURNING pg_current_xact_id()::text"
DELETE_GOALS_OF_USER = """
WITH gone AS (DELETE FROM goals WHERE user_id = $1 RETURNING 1)
SELECT count(*), pg_current_xact_id_if_assigned()::text FROM gone
"""

# -- outbox --------------------------------------------------------------------------------------------------

# One statement for any number of events; an event id already stored is skipped (a replay writes nothing).
INSERT_EVENTS = """
WITH written AS (
    INSERT INTO outbox (event_id, event_type, payload, occurred_at)
    SELECT i, t, p, o
    FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::timestamptz[]) WITH ORDINALITY AS e(i, t, p, o, n)
    ORDER BY n
    ON CONFLICT (event_id) DO NOTHING
    RETURNING 1
)
SELECT pg_current_xact_id_if_assigned()::text FROM written LIMIT 1
"""

# After a COMMIT whose reply was lost to a cancellation: did it commit? (PostgreSQL 13+)
XACT_STATUS = "SELECT pg_xact_status($1::text::xid8)"
