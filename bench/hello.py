"""The ceiling's app: `python -m bench.hello PORT`, one Sanic route answering {"hello": "world"} on any path.

Any path, so HAProxy's health check (GET /healthz in haproxy/haproxy.cfg) passes through the same route.
One process, no access log: configured like a polls replica, doing nothing else.
"""

from __future__ import annotations

import sys

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

app = Sanic("bench_hello")


@app.get("/<path:path>")
async def hello(request: Request, path: str) -> HTTPResponse:
    return json({"hello": "world"})


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), single_process=True, access_log=False, motd=False)
