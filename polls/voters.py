"""Voter ids, issued by the server: a random part and a signature of it, so that a ballot names a voter this
service handed out (POST /api/voters, or a page's cookie) and a script cannot make up a new voter per ballot
without asking for each one (which HAProxy limits per address).

The key is shared by every replica (kept in PostgreSQL, see store.keys); an id is checked without a query."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

# 16 random bytes and a 16-byte HMAC-SHA256 tag of them, each base64url without padding (22 characters).
_PART = 22
VOTER_ID = re.compile(rf"[A-Za-z0-9_-]{{{_PART}}}\.[A-Za-z0-9_-]{{{_PART}}}")
KEY_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class VoterIds:
    def __init__(self, key: bytes | None = None) -> None:
        self._key: bytes | None = None
        if key is not None:
            self.use_key(key)

    def use_key(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"a voter id key needs at least {KEY_BYTES} bytes")
        self._key = key

    @property
    def key(self) -> bytes:
        if self._key is None:
            raise RuntimeError("the voter id key is not loaded (it is read from the database at start)")
        return self._key

    def _tag(self, random_part: str) -> str:
        return _b64(hmac.new(self.key, random_part.encode("ascii"), hashlib.sha256).digest()[:16])

    def issue(self) -> str:
        return self.sign(secrets.token_urlsafe(16))

    def sign(self, random_part: str) -> str:
        """The id of a random part (22 characters of base64url) that the caller drew. Only for an operator's
        load tool that holds the key and must name its voters again later (bench/); the server draws its
        own."""
        if not re.fullmatch(rf"[A-Za-z0-9_-]{{{_PART}}}", random_part):
            raise ValueError("the random part of a voter id is 22 characters of base64url")
        return f"{random_part}.{self._tag(random_part)}"

    def issued(self, value: object) -> bool:
        """Whether the value is an id this service issued (with the current key)."""
        if not isinstance(value, str) or not VOTER_ID.fullmatch(value):
            return False
        random_part, tag = value.split(".")
        return hmac.compare_digest(tag, self._tag(random_part))
