"""LiveBus: publishes snapshots (results, event states, presence, Q&A boards) to a RabbitMQ fanout
exchange and consumes everyone's.

Each replica binds its own exclusive, auto-delete queue to the exchange, so every replica sees every
snapshot. The connection is aio-pika's robust one: after a broker restart it reconnects, re-declares
the queue and resumes consuming, and then asks for a resync, since snapshots published while it was
away are gone. A replica starts even while the broker is down and keeps trying in the background;
votes never wait on the broker for longer than the publish timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage, AbstractRobustConnection

from polls.bus.messages import MessageError, Presence, decode, encode
from polls.domain import Results
from polls.event import EventView
from polls.qa import QaBoard

log = logging.getLogger("polls.bus")

Snapshot = Results | EventView | Presence | QaBoard
OnSnapshot = Callable[[Snapshot], Awaitable[None]]
OnResync = Callable[[], Awaitable[None]]


class LiveBus:
    def __init__(
        self,
        url: str,
        exchange: str,
        on_snapshot: OnSnapshot,
        on_resync: OnResync,
        name: str = "polls",
        retry_interval: float = 1.0,
        publish_timeout: float = 1.0,
    ) -> None:
        self.url = url
        self.exchange_name = exchange
        self.name = name
        self._on_snapshot = on_snapshot
        self._on_resync = on_resync
        self._retry_interval = retry_interval
        self._publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def connected(self) -> bool:
        # A robust connection is not "closed" while it reconnects; its `connected` event says whether it has
        # a live transport now (else /healthz said "connected" throughout an outage, and every publish
        # waited for its timeout).
        connection = self._connection
        return (
            self._exchange is not None
            and connection is not None
            and not connection.is_closed
            and connection.connected.is_set()
        )

    async def start(self, wait: float = 5.0) -> None:
        """Connect in the background; wait up to `wait` seconds for the first connection."""
        self._connecting = asyncio.create_task(self._connect_until_ready(), name="bus-connect")
        try:
            await asyncio.wait_for(asyncio.shield(self._ready.wait()), timeout=wait)
        except TimeoutError:
            log.warning("RabbitMQ not reachable at start; votes are stored, live updates resume on connect")

    async def _connect_until_ready(self) -> None:
        while True:
            try:
                await self._connect()
                break
            except (OSError, aio_pika.exceptions.AMQPError, TimeoutError) as exc:
                log.warning("RabbitMQ connection failed (%s); retrying in %.1fs", exc, self._retry_interval)
                await asyncio.sleep(self._retry_interval)
        self._ready.set()
        await self._on_resync()

    async def _connect(self) -> None:
        connection = await aio_pika.connect_robust(
            self.url,
            timeout=5,
            reconnect_interval=self._retry_interval,
            client_properties={"connection_name": self.name},
        )
        try:
            channel = await connection.channel()
            exchange = await channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.FANOUT, durable=True
            )
            queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
            await queue.bind(exchange)
            await queue.consume(self._receive, no_ack=True)
        except BaseException:
            await connection.close()
            raise
        connection.reconnect_callbacks.add(self._reconnected)
        self._connection, self._exchange = connection, exchange
        log.info("consuming results from exchange %s", self.exchange_name)

    async def _reconnected(self, _connection: object) -> None:
        log.info("RabbitMQ connection restored; resyncing live polls from the database")
        await self._on_resync()

    async def _receive(self, message: AbstractIncomingMessage) -> None:
        try:
            snapshot = decode(message.body)
        except MessageError as exc:
            log.warning("dropped a message: %s", exc)
            return
        await self._on_snapshot(snapshot)

    async def publish(self, snapshot: Snapshot) -> None:
        """Deliver to this replica's own watchers at once, and to every replica through the exchange.

        Never raises: the vote behind the snapshot is committed already; a snapshot that cannot be
        published is logged, and the broker's reconnect resync repairs what the screens missed.
        """
        await self._on_snapshot(snapshot)
        exchange = self._exchange
        if exchange is None or not self.connected:
            log.warning("not published (RabbitMQ disconnected): %s", type(snapshot).__name__)
            return
        message = aio_pika.Message(
            encode(snapshot),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
        )
        try:
            await asyncio.wait_for(exchange.publish(message, routing_key=""), self._publish_timeout)
        except (OSError, TimeoutError, aio_pika.exceptions.AMQPError, RuntimeError) as exc:
            log.warning("publish of a %s failed: %s", type(snapshot).__name__, exc)

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        if self._connection is not None:
            connection, self._connection, self._exchange = self._connection, None, None
            try:  # a broker that does not answer must not hold the replica's shutdown for ever
                await asyncio.wait_for(connection.close(), timeout=5)
            except TimeoutError:
                log.warning("the broker did not answer the connection's close within 5 s")
