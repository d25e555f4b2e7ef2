"""Health: 200 while this replica reaches PostgreSQL (HAProxy routes on it); RabbitMQ is only reported."""

from __future__ import annotations

from dataclasses import dataclass

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json
from sanic_ext import openapi

from polls.bus import LiveBus
from polls.config import Config
from polls.live import Hub
from polls.store import Database

health = Blueprint("health")


@dataclass
class Drain:
    """Whether this replica was told to stop (SIGTERM). A draining replica fails its health check at once, so
    HAProxy takes it out of rotation (and cuts its websockets, which reconnect elsewhere) while it still
    answers every request it was sent; it stops `seconds` later."""

    seconds: float
    draining: bool = False


@health.get("/healthz")
@openapi.response(200, description="This replica can serve: PostgreSQL answers")
@openapi.response(503, description="PostgreSQL is unreachable from this replica, or it is stopping")
async def healthz(
    request: Request, config: Config, database: Database, bus: LiveBus, hub: Hub, drain: Drain
) -> HTTPResponse:
    """Health of this replica"""
    body = {
        "instance": config.instance,
        "bus": "connected" if bus.connected else "reconnecting",
        "watchers": hub.watcher_count(),
    }
    if drain.draining:
        return json({"status": "draining", "error": "This replica is stopping", **body}, status=503)
    if await database.ping():
        return json({"status": "ok", **body})
    return json({"status": "unavailable", "error": "PostgreSQL is unreachable", **body}, status=503)
