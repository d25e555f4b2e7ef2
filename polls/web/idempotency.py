"""Idempotency-Key: a write sent with a key is done once, whatever the number of times it arrives.

As Stripe's API does: the first request with a key claims it and does the write; the answer is kept with
the key, in the same transaction as the write (so a replica that dies between its commit and its answer
leaves the answer behind, not a write without one); a repeat of the request gets that answer again, marked
`Idempotent-Replayed: true`, and changes nothing. The same key with another request body is refused (422).
Keys are kept for a day. HAProxy replays a failed write only when it carries a key (haproxy/*.cfg), and
the pages send a new key with each form they submit (webclient/static/app.js)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable

from sanic import Request
from sanic.response import HTTPResponse, raw

from polls.errors import N_, InvalidInput, MalformedRequest
from polls.store import Database
from polls.store.idempotency import IdempotencyKeys

log = logging.getLogger("polls.web")

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# The headers of an answer that a replay must repeat; the rest (X-Instance, Date, ...) is the replica's own.
KEPT_HEADERS = ("content-type", "location", "hx-redirect", "referrer-policy", "vary", "content-language")


class Idempotency:
    def __init__(self, database: Database, keys: IdempotencyKeys, pause_after_commit: float = 0.0) -> None:
        self.database = database
        self.keys = keys
        # A test's hook only (POLLS_TEST_PAUSE_AFTER_COMMIT): the time between the commit and the answer,
        # in which a test kills the replica. 0 in every real deployment.
        self.pause_after_commit = pause_after_commit

    async def __call__(self, request: Request, write: Callable[[], Awaitable[HTTPResponse]]) -> HTTPResponse:
        """Do the write once per key: the request's Idempotency-Key, if it has one."""
        key = request.headers.get(HEADER)
        if key is None:
            return await write()
        if not _KEY.fullmatch(key):
            raise MalformedRequest(
                N_("%(header)s must be 1 to 255 printable ASCII characters."),
                code="idempotency_key_invalid",
                header=HEADER,
            )
        route = f"{request.method} {request.path}"
        fingerprint = hashlib.sha256(request.body or b"").hexdigest()
        async with self.database.transaction():
            kept = await self.keys.claim(key, route, fingerprint)
            if kept is None:
                response = await write()
                await self.keys.record(
                    key, route, response.status, _kept_headers(response), response.body or b""
                )
        if kept is not None:
            if kept.fingerprint != fingerprint:
                raise InvalidInput(
                    N_("This %(header)s was used for another request; use a new key for a new one."),
                    code="idempotency_key_reused",
                    header=HEADER,
                )
            headers = {**kept.headers, REPLAYED: "true"}
            content_type = headers.pop("content-type", "application/octet-stream")
            return raw(kept.body, status=kept.status or 200, headers=headers, content_type=content_type)
        if self.pause_after_commit:
            log.warning(
                "test hook: committed %s, pausing %.1f s before the answer", route, self.pause_after_commit
            )
            await asyncio.sleep(self.pause_after_commit)
        return response


def _kept_headers(response: HTTPResponse) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.lower() in KEPT_HEADERS}
