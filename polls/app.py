"""create_app: the one place that wires config, store, bus, hub, service and the web together."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from polls import __version__
from polls.bus import LiveBus, Presence
from polls.clock import DatabaseClock
from polls.config import Config
from polls.domain import Results
from polls.event import EventView
from polls.event_live import PRESENCE_INTERVAL, EventFeed, EventHub, PresenceBoard
from polls.event_service import EventService
from polls.live import Hub
from polls.profanity import is_profane
from polls.qa import QaBoard
from polls.qa_live import QaHub
from polls.qa_service import QaService
from polls.quiz_service import QuizService
from polls.service import PollService
from polls.store import Database, EventStore, PollStore, migrate
from polls.store.idempotency import IdempotencyKeys
from polls.store.keys import shared_key
from polls.store.qa import QaStore
from polls.store.quiz import QuizStore
from polls.voters import VoterIds
from polls.web import App
from polls.web.api import api
from polls.web.errors import setup_errors
from polls.web.event_pages import event_pages
from polls.web.events_api import events_api, live_event_json
from polls.web.health import Drain, health
from polls.web.i18n import load_translations
from polls.web.idempotency import Idempotency
from polls.web.pages import pages
from polls.web.pushsocket import PushSockets, text_frame
from polls.web.qa_api import qa_api
from polls.web.qa_pages import qa_pages
from polls.web.qa_render import qa_renderers
from polls.web.quiz import quiz
from polls.web.render import Templates, live_json
from polls.web.security import setup_security
from polls.web.ws import sockets

log = logging.getLogger("polls")

API_DESCRIPTION = """Live polls and events: create, vote, read results, and watch them change.
Errors are `{"error": message}` with a 4xx status.

Voting: ask `POST /api/voters` once per voter for an id (the server issues and signs it), then send it as
`voter` with each of that voter's ballots (`POST /api/polls/{code}/votes`); a ballot sent again with the
same id replaces the earlier one. An id the server did not issue is refused (422).

Websockets, which OpenAPI cannot describe: `/api/polls/{code}/live` sends the results object with
`"type": "results"` at once and after each change; `/api/events/{code}/live` sends the event's state
(`"type": "event"`, the live question, its results while the audience may see them) at once and after
each change; `/api/events/{code}/qa/live` sends the event's Q&A board as the audience sees it (`"type":
"qa"`, shown questions only, most votes first) at once and after each change. On each, `version` never
goes backwards on one connection, and an unknown code gets an error message and close code 4404. The
pages' own sockets (`/p/{code}/live`, `/e/{code}/live`,
`/e/{code}/present/live`, `/e/{code}/control/live?token=`, and for the Q&A `/e/{code}/qa/live`,
`/e/{code}/present/qa/live`, `/e/{code}/control/qa/live?token=`) push HTML fragments. A plain GET of
any of them is answered 426. A client that loses its socket (1006, or a close with 1011, 1012 or 1013)
reconnects after a random, growing delay (from 250 ms, doubling to at most 3 s, each ±30 %; back to the
start once it has its snapshot): after a replica dies, thousands of screens then come back spread over a
second or two instead of all at once. It never reconnects after a 44xx close."""

WEBCLIENT = Path(__file__).resolve().parent.parent / "webclient"


# How long each step of a shutdown may take (the background loops
# stopped, the broker's connection closed) before the replica goes on without it.
SHUTDOWN_STEP_SECONDS = 5.0


def setup_database(app: App, database: Database, voter_ids: VoterIds) -> None:
    @app.before_server_start
    async def open_database(app: App) -> None:
        await database.open()
        async with database.pool.acquire() as connection:
            applied = await migrate(connection)
        if applied:
            log.info("migrations applied: %s", applied)
        voter_ids.use_key(await shared_key(database, "voter_ids"))
        is_profane("")  # the filter's word lists, read now rather than on the first ballot it checks

    @app.after_server_stop
    async def close_database(app: App) -> None:
        await database.close()


def setup_bus(app: App, bus: LiveBus) -> None:
    @app.before_server_start
    async def start_bus(app: App) -> None:
        await bus.start()

    @app.after_server_stop
    async def stop_bus(app: App) -> None:
        await bus.stop()


def setup_live(app: App, sockets: PushSockets) -> None:
    """The live sockets' upkeep: one loop pings them all; a replica that stops first tells every socket to
    reconnect elsewhere (1012), before anything else of its shutdown (Sanic's own would close with 1000,
    after which browsers' hx-ws, rightly, does not reconnect)."""
    app.ctx.push_sockets = sockets
    keepalive: list[asyncio.Task[None]] = []

    @app.after_server_start
    async def ping_sockets(app: App) -> None:
        keepalive.append(asyncio.create_task(sockets.keepalive(), name="websocket-pings"))

    # Shutdown listeners run in reverse priority order, so the lowest priority runs first.
    @app.listener("before_server_stop", priority=-100)
    async def send_sockets_elsewhere(app: App) -> None:
        for task in keepalive:
            task.cancel()
        sockets.close_all()  # a close frame into each buffer, then each transport flushes and ends


def setup_drain(app: App, drain: Drain) -> None:
    """SIGTERM drains before it stops (see Drain); a second SIGTERM stops at once. Sanic's own handler,
    which this replaces, would close the listening socket first, and HAProxy's retries would then be the
    only thing between the requests of the next moments and an error."""

    @app.after_server_start
    async def drain_on_sigterm(app: App) -> None:
        loop = asyncio.get_running_loop()

        def on_sigterm() -> None:
            if drain.draining:
                app.stop(terminate=False)
                return
            drain.draining = True
            log.info("SIGTERM: failing health checks for %.1f s, then stopping", drain.seconds)
            loop.call_later(drain.seconds, app.stop, False)

        loop.add_signal_handler(signal.SIGTERM, on_sigterm)


def setup_event_clock(
    app: App,
    events: EventService,
    bus: LiveBus,
    board: PresenceBoard,
    keys: IdempotencyKeys,
    clock: DatabaseClock,
) -> None:
    """Small loops per replica: close questions whose countdown ran out (any replica may; the database
    lets one of them close each), tell the others how many participants are connected here, forget
    Idempotency-Keys older than a day, and measure this replica's clock against the database's."""
    tasks: list[asyncio.Task[None]] = []

    async def every(seconds: float, step: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await step()
            except Exception as exc:  # a failed round is retried on the next one
                log.warning("%s failed: %s", getattr(step, "__name__", step), exc)

    async def report_presence() -> None:
        await bus.publish(board.local())

    @app.after_server_start
    async def start_clock(app: App) -> None:
        try:
            await clock.measure()
        except Exception as exc:  # measured again within a minute
            log.warning("measuring the database's clock failed: %s", exc)
        tasks.append(asyncio.create_task(every(60, clock.measure), name="database-clock"))
        tasks.append(asyncio.create_task(every(0.5, events.close_expired), name="countdowns"))
        tasks.append(asyncio.create_task(every(PRESENCE_INTERVAL, report_presence), name="presence"))
        tasks.append(asyncio.create_task(every(600, keys.expire), name="idempotency-keys"))
        tasks.append(asyncio.create_task(every(60, events.forget_undo), name="undo-expiry"))

    @app.before_server_stop
    async def stop_clock(app: App) -> None:
        for task in tasks:
            task.cancel()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_STEP_SECONDS)
            if stuck:  # a shutdown that waits for ever is no shutdown
                log.warning("loops still running at shutdown: %s", ", ".join(t.get_name() for t in stuck))


def route_snapshots(
    hub: Hub, event_hub: EventHub, board: PresenceBoard, qa_hub: QaHub
) -> Callable[[object], Awaitable[None]]:
    """Where each snapshot from the bus (or from this replica) goes."""
    feed = EventFeed(event_hub)

    async def on_snapshot(snapshot: object) -> None:
        if isinstance(snapshot, Results):
            await hub.deliver(snapshot)
            await feed.on_results(snapshot)
        elif isinstance(snapshot, EventView):
            await event_hub.deliver(snapshot)
        elif isinstance(snapshot, Presence):
            board.record(snapshot)
        elif isinstance(snapshot, QaBoard):
            await qa_hub.deliver(snapshot)

    return on_snapshot


def setup_instance_header(app: App, instance: str) -> None:
    @app.on_response
    async def add_instance(request: Request, response: HTTPResponse) -> None:
        response.headers["X-Instance"] = instance


def create_app(config: Config | None = None) -> App:
    config = config or Config.from_env()
    webclient = Path(config.webclient_dir) if config.webclient_dir else WEBCLIENT

    app = Sanic("polls", configure_logging=True)
    # One line per closed websocket is noise with thousands of screens; failures are still logged.
    logging.getLogger("sanic.websockets").setLevel(logging.WARNING)
    app.config.update(
        REQUEST_MAX_SIZE=config.request_max_size,
        GRACEFUL_SHUTDOWN_TIMEOUT=config.graceful_shutdown_timeout,
        KEEP_ALIVE_TIMEOUT=75,
        OAS_UI_DEFAULT="swagger",
        OAS_UI_REDOC=False,
        CORS=False,
        HEALTH=False,
        PUBLIC_URL=config.public_url,
    )
    app.ext.openapi.describe(
        "polls API",
        version=__version__,
        description=API_DESCRIPTION,
    )
    # The scheme that the routes' @openapi.secured("token") name; without it the document is invalid.
    app.ext.openapi.add_security_scheme(
        "token", "http", scheme="bearer", description="The admin token given when the poll or event was made"
    )

    database = Database(config.database_url, config.db_pool_max)
    store = PollStore(database)
    templates = Templates(
        webclient / "templates", load_translations(webclient / "locales"), static_version=__version__
    )
    event_store = EventStore(database)

    def bus_connected() -> bool:
        """A hub's copy of a watched topic is current while the bus brings it every change (after an
        outage, the resync brings them up to date)."""
        return bus.connected

    hub = Hub(
        {"json": live_json, **templates.results_renderers()},
        load=store.results,
        interval=config.live_interval,
        frame=text_frame,
        current=bus_connected,
    )
    event_hub = EventHub(
        {"json": live_event_json, **templates.event_renderers()},
        load=event_store.view,
        voters_with_ballots=store.voters_with_ballots,
        interval=config.live_interval,
        frame=text_frame,
        current=bus_connected,
    )
    board = PresenceBoard(config.instance, event_hub)
    qa_store = QaStore(database)
    qa_hub = QaHub(
        qa_renderers(templates),
        load=qa_store.board,
        interval=config.live_interval,
        frame=text_frame,
        current=bus_connected,
    )

    async def resync() -> None:
        await hub.resync()
        await event_hub.resync()
        await qa_hub.resync()

    bus = LiveBus(
        config.amqp_url,
        config.exchange,
        on_snapshot=route_snapshots(hub, event_hub, board, qa_hub),
        on_resync=resync,
        name=config.instance,
    )
    voter_ids = VoterIds()
    service = PollService(store, bus, voter_ids)
    events = EventService(event_store, service, bus)
    qa = QaService(qa_store, voter_ids, bus)
    keys = IdempotencyKeys(database)
    once = Idempotency(database, keys, config.test_pause_after_commit)

    setup_database(app, database, voter_ids)
    setup_bus(app, bus)
    setup_live(app, PushSockets(config.instance, config.ping_interval))
    drain = Drain(config.drain_seconds)
    setup_drain(app, drain)
    clock = DatabaseClock(database)
    players = QuizService(QuizStore(database), voter_ids)
    setup_event_clock(app, events, bus, board, keys, clock)
    setup_instance_header(app, config.instance)
    setup_security(app)
    setup_errors(app, templates)
    dependencies = (
        *(config, database, bus, hub, event_hub, board, service, events, templates, drain, once),
        *(clock, players, qa_hub, qa),
    )
    for dependency in (*dependencies, voter_ids):
        app.ext.dependency(dependency)
    app.ctx.polls = service  # the vote route's, which skips injection (polls.web.api.cast_vote)

    app.blueprint([api, events_api, qa_api, pages, event_pages, qa_pages, quiz, sockets, health])
    templates.use_routes(app.url_for)
    app.static("/static", webclient / "static", name="static")
    return app
