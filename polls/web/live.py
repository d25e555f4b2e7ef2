"""Serving one live websocket: register with the hub, then hold the socket until the client leaves."""

from __future__ import annotations

import json
from typing import Any

from polls.domain import normalise_code
from polls.errors import PollNotFound
from polls.live import Hub

# Close codes an htmx client does not reconnect after (4000-4999 are the application's own).
CLOSE_UNKNOWN_POLL = 4404


async def serve_live(ws: Any, raw_code: str, fmt: str, hub: Hub) -> None:
    code = normalise_code(raw_code)
    try:
        if code is None:
            raise PollNotFound()
        watcher = await hub.watch(code, fmt, ws.send, ws.close)
    except PollNotFound as exc:
        await ws.send(json.dumps({"type": "error", "error": exc.message}))
        await ws.close(code=CLOSE_UNKNOWN_POLL, reason="unknown poll")
        return
    try:
        # Clients send nothing we act on; reading is how we learn that the socket closed.
        while await ws.recv() is not None:
            pass
    finally:
        hub.unwatch(watcher)
