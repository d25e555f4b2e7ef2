"""Voter ids for the load generators. The server issues voter ids (POST /api/voters) signed with a key every
replica reads from PostgreSQL; the benchmark, run by the operator on the same machine, reads that key too and
signs its own, so that tens of thousands of new voters cost no extra request on the path it measures, and a
voter's id can be named again from its index when the ballots are checked against the database."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from bench.db import _query
from polls.voters import VoterIds


def voter_key(database_url: str) -> str:
    """The stack's voter id key, hex (made by the first replica that started)."""
    rows = _query(database_url, "SELECT encode(secret, 'hex') FROM server_keys WHERE name = 'voter_ids'")
    if not rows:
        raise RuntimeError("the stack has no voter id key yet: no replica has started on this database")
    return rows[0][0]


class VoterNames:
    """Voter `index` of a run named `prefix` -> the same issued-looking id, every time it is asked."""

    def __init__(self, key_hex: str, prefix: str) -> None:
        self.ids = VoterIds(bytes.fromhex(key_hex))
        self.prefix = prefix

    def __call__(self, index: int) -> str:
        digest = hashlib.sha256(f"{self.prefix}{index}".encode()).digest()[:16]
        return self.ids.sign(base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


def write_ids(path: Path, key_hex: str, prefix: str, count: int) -> Path:
    """`count` ids, one per line, for wrk's votes.lua (which cannot sign)."""
    names = VoterNames(key_hex, prefix)
    path.write_text("".join(f"{names(i)}\n" for i in range(count)))
    return path
