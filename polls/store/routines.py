"""The ballot batch's write as one round trip: a PL/pgSQL function that each pooled connection creates
for itself when it opens.

A batch used to be five round trips (BEGIN, the question's lock, the kind's upsert, the results,
COMMIT), the last four under the question's row lock. Under load each round trip waits for the replica's
event loop to come round to it (2.5 to 3.5 ms measured), so the lock was held for about 10 ms per batch
and the other replica's batches queued behind it. As one function call, the statements run one after
another inside PostgreSQL, each seeing the one before (the upsert reads the ballots only once the lock is
held), and the call commits on its own: the lock is held for the work alone.

The functions live in the session's own temporary schema (`pg_temp`): made from this replica's code,
gone with its connection, so replicas of two versions never share one and no migration has to follow
the kinds' SQL. The kinds' statements go in verbatim, one branch each (their $1..$3 are the function's
first three parameters); PL/pgSQL keeps their plans for the session, as asyncpg's statement cache did.
"""

from __future__ import annotations

import re

import asyncpg

from polls.kinds import KINDS, TALLY, Kind

_NAME = re.compile(r"[a-z][a-z0-9_]*")

# The batch's write: $1 the question's code, $2 the voters, $3 their answers (arrays as text,
# kinds.array_literal), $4 the keys the filter held (text[], empty if none). Its row: `outcome`
# "stored", or "late" or "closed" (no row at all: no such question); the voters refused (a kind of final
# answers); and the results as of the commit, as kinds.RESULTS has them.
_COLUMNS = (
    "outcome text",
    "refused text[]",
    "version bigint",
    "voters integer",
    "status text",
    "kind text",
    "tally jsonb",
)
_NAMES = [column.split()[0] for column in _COLUMNS]
CAST_BALLOTS = (
    f"SELECT {', '.join(f'out_{name} AS {name}' for name in _NAMES)} "
    "FROM pg_temp.cast_ballots(NULL, $2, $3, $1, $4)"
)


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"a kind's name is no SQL identifier: {name!r}")
    return name


def _upsert(kind: Kind) -> str:
    if kind.final_answers:  # its upsert returns the voters whose other answer it refused
        return f"FOR _refusal IN {kind.upsert_ballots} LOOP _refused := _refused || _refusal.voter; END LOOP;"
    return f"{kind.upsert_ballots};"


def _hold_function(kind: Kind) -> str:
    """The kind's filter's hold, verbatim ($1 the question's id, $2 the keys); it returns rows, not read."""
    assert kind.moderation is not None
    return f"""
CREATE FUNCTION pg_temp.hold_{_checked(kind.name)}(bigint, text[]) RETURNS void
LANGUAGE plpgsql AS $routine$
DECLARE
    _row record;
BEGIN
    FOR _row IN {kind.moderation.hold_sql} LOOP END LOOP;
END
$routine$;
"""


def _cast_function(kinds: list[Kind]) -> str:
    upserts = "\n".join(f"WHEN '{_checked(kind.name)}' THEN {_upsert(kind)}" for kind in kinds)
    holds = "\n".join(
        f"WHEN '{kind.name}' THEN PERFORM pg_temp.hold_{kind.name}(_question, $5);"
        for kind in kinds
        if kind.moderation is not None
    )
    # $1 the question's id, found under its lock (the kinds' SQL names it $1); $2, $3 the voters and their
    # answers; $4 its code; $5 the held keys. The call commits on its own, so the lock ends with it.
    return f"""
CREATE FUNCTION pg_temp.cast_ballots(bigint, text[], text[], text, text[])
RETURNS TABLE ({", ".join("out_" + column for column in _COLUMNS)})
LANGUAGE plpgsql AS $routine$
#variable_conflict use_column
DECLARE
    _question ALIAS FOR $1;
    _kind text;
    _refusal record;
    _refused text[] := '{{}}';
BEGIN
    UPDATE polls SET version = version + 1
    WHERE code = $4 AND status = 'open' AND (closes_at IS NULL OR closes_at > now())
    RETURNING id, kind INTO _question, _kind;
    IF NOT FOUND THEN
        RETURN QUERY
            SELECT CASE WHEN p.status = 'open' AND p.closes_at <= now() THEN 'late' ELSE 'closed' END,
                   NULL::text[], p.version, p.voters, p.status, p.kind, NULL::jsonb
            FROM polls p WHERE p.code = $4;
        RETURN;
    END IF;
    CASE _kind
{upserts}
    END CASE;
    IF cardinality($5) > 0 THEN
        CASE _kind
{holds}
        ELSE NULL;
        END CASE;
    END IF;
    RETURN QUERY
        SELECT 'stored', _refused, p.version, p.voters, p.status, p.kind, {TALLY}
        FROM polls p WHERE p.id = _question;
END
$routine$;
"""


_KINDS = list(KINDS.values())
SESSION_ROUTINES = "".join(_hold_function(k) for k in _KINDS if k.moderation) + _cast_function(_KINDS)


async def create_routines(connection: asyncpg.Connection) -> None:
    """The pool's setup of each new connection: its routines, in one round trip (PL/pgSQL checks a body's
    tables when it first runs, so this works on a database that is not migrated yet)."""
    await connection.execute(SESSION_ROUTINES)
