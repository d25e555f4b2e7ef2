"""create_app: the one place that wires config, store, bus, hub, service and the web together."""

from __future__ import annotations

import logging
from pathlib import Path

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from polls import __version__
from polls.bus import ResultsBus
from polls.config import Config
from polls.live import Hub
from polls.service import PollService
from polls.store import Database, PollStore, migrate
from polls.web.api import api
from polls.web.errors import setup_errors
from polls.web.health import health
from polls.web.live import text_frame
from polls.web.pages import pages
from polls.web.render import Templates, live_json

log = logging.getLogger("polls")

WEBCLIENT = Path(__file__).resolve().parent.parent / "webclient"


def setup_database(app: Sanic, database: Database) -> None:
    @app.before_server_start
    async def open_database(app: Sanic) -> None:
        await database.open()
        async with database.pool.acquire() as connection:
            applied = await migrate(connection)
        if applied:
            log.info("migrations applied: %s", applied)

    @app.after_server_stop
    async def close_database(app: Sanic) -> None:
        await database.close()


def setup_bus(app: Sanic, bus: ResultsBus) -> None:
    @app.before_server_start
    async def start_bus(app: Sanic) -> None:
        await bus.start()

    @app.after_server_stop
    async def stop_bus(app: Sanic) -> None:
        await bus.stop()


def setup_live(app: Sanic, hub: Hub) -> None:
    @app.before_server_stop
    async def send_sockets_elsewhere(app: Sanic) -> None:
        await hub.close_all()


def setup_instance_header(app: Sanic, instance: str) -> None:
    @app.on_response
    async def add_instance(request: Request, response: HTTPResponse) -> None:
        response.headers["X-Instance"] = instance


def create_app(config: Config | None = None) -> Sanic:
    config = config or Config.from_env()
    webclient = Path(config.webclient_dir) if config.webclient_dir else WEBCLIENT

    app = Sanic("polls", configure_logging=True)
    app.config.update(
        REQUEST_MAX_SIZE=config.request_max_size,
        GRACEFUL_SHUTDOWN_TIMEOUT=config.graceful_shutdown_timeout,
        KEEP_ALIVE_TIMEOUT=75,
        OAS_UI_DEFAULT="swagger",
        OAS_UI_REDOC=False,
        CORS=False,
        HEALTH=False,
    )
    app.ext.openapi.describe(
        "polls API",
        version=__version__,
        description=(
            "Live polls: create, vote, read results, and watch them change. Websocket "
            '`/api/polls/{code}/live` sends the results object with `"type": "results"` at once and after '
            'each change; `version` never goes backwards on one connection. Errors are `{"error": message}`.'
        ),
    )

    database = Database(config.database_url, config.db_pool_max)
    store = PollStore(database)
    templates = Templates(webclient / "templates", static_version=__version__)
    hub = Hub(
        {"json": live_json, "html": templates.results_fragment},
        load=store.results,
        interval=config.live_interval,
        frame=text_frame,
    )
    bus = ResultsBus(
        config.amqp_url, config.exchange, on_results=hub.deliver, on_resync=hub.resync, name=config.instance
    )
    service = PollService(store, bus)

    setup_database(app, database)
    setup_bus(app, bus)
    setup_live(app, hub)
    setup_instance_header(app, config.instance)
    setup_errors(app, templates)
    for dependency in (config, database, bus, hub, service, templates):
        app.ext.dependency(dependency)

    app.blueprint([api, pages, health])
    app.static("/static", webclient / "static", name="static")
    return app
