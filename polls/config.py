"""Typed settings of one replica, read from the environment and validated before anything starts."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, get_type_hints


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable and shows an example."""


_INSTANCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_EXCHANGE = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
_PUBLIC_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?")
_FROM_TEXT: dict[object, Callable[[str], object]] = {str: str, int: int, float: float}


@dataclass(frozen=True)
class Config:
    instance: str = ""  # empty: the host name, which is unique per container when scaled
    host: str = "127.0.0.1"
    port: int = 8001
    database_url: str = "postgresql://postgres@127.0.0.1:5432/polls"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = "polls.results"
    db_pool_max: int = 10
    request_max_size: int = 64 * 1024
    graceful_shutdown_timeout: float = 10.0
    # On SIGTERM a replica fails its health check for this long before it stops accepting: time for HAProxy
    # (three failed checks 200 ms apart) to take it out of rotation while it still answers what it was sent.
    drain_seconds: float = 2.0
    # Screens get a poll's newest tally at most once per this many seconds (0.05 s: 20 times a second).
    live_interval: float = 0.05
    # Every live socket is pinged this often; one that did not answer the previous ping is cut.
    ping_interval: float = 20.0
    webclient_dir: str = ""
    # The address people join at, as their phones reach it (https://polls.example.org): the join URL and QR
    # code of every projector. Empty: the address the projector was opened with (Host, or X-Forwarded-Host
    # and X-Forwarded-Proto behind another proxy).
    public_url: str = ""
    # A test's hook, never set in a deployment: seconds between the commit of a write sent with an
    # Idempotency-Key and its answer, in which a test kills the replica.
    test_pause_after_commit: float = 0.0

    # Each field is set by the environment variable POLLS_<FIELD NAME IN CAPITALS>.
    _EXAMPLES = {
        "instance": "web-1",
        "host": "0.0.0.0",
        "port": "8001",
        "database_url": "postgresql://postgres@127.0.0.1:5432/polls",
        "amqp_url": "amqp://guest:guest@127.0.0.1:5672/",
        "exchange": "polls.results",
        "db_pool_max": "10",
        "request_max_size": "65536",
        "graceful_shutdown_timeout": "10",
        "drain_seconds": "2",
        "live_interval": "0.05",
        "ping_interval": "20",
        "webclient_dir": "/app/webclient",
        "public_url": "https://polls.example.org",
        "test_pause_after_commit": "0",
    }

    @staticmethod
    def variable(name: str) -> str:
        return f"POLLS_{name.upper()}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        environ = os.environ if environ is None else environ
        types = get_type_hints(cls)  # the fields' types as classes, however the annotations are written
        values: dict[str, Any] = {}  # each converted to its field's type
        for field in fields(cls):
            raw = environ.get(cls.variable(field.name))
            if raw is None:
                continue
            values[field.name] = cls._convert(field.name, types[field.name], raw.strip())
        if not values.get("instance"):
            values["instance"] = socket.gethostname()
        config = cls(**values)
        config.validate()
        return config

    @classmethod
    def _convert(cls, name: str, kind: object, raw: str) -> object:
        convert = _FROM_TEXT.get(kind)
        if convert is None:
            raise TypeError(f"no conversion from text for {name}: {kind!r}")
        try:
            return convert(raw)
        except ValueError:
            raise cls._error(name, f"is not a number: {raw!r}") from None

    @classmethod
    def _error(cls, name: str, problem: str) -> ConfigError:
        return ConfigError(f"{cls.variable(name)} {problem} (example: {cls._EXAMPLES[name]})")

    def validate(self) -> None:
        """Fail fast, naming the first bad variable."""
        if not _INSTANCE.match(self.instance):
            raise self._error("instance", "must be 1..63 letters, digits, '.', '_' or '-'")
        if not 1 <= self.port <= 65535:
            raise self._error("port", "must be between 1 and 65535")
        if not self.database_url.startswith(("postgresql://", "postgres://")):
            raise self._error("database_url", "must be a postgresql:// URL")
        if not self.amqp_url.startswith(("amqp://", "amqps://")):
            raise self._error("amqp_url", "must be an amqp:// URL")
        if not _EXCHANGE.match(self.exchange):
            raise self._error("exchange", "must be 1..200 letters, digits or '_.:-'")
        if not 1 <= self.db_pool_max <= 1000:
            raise self._error("db_pool_max", "must be between 1 and 1000")
        if not 1024 <= self.request_max_size <= 16 * 1024 * 1024:
            raise self._error("request_max_size", "must be between 1024 and 16777216 bytes")
        if not 0 <= self.graceful_shutdown_timeout <= 300:
            raise self._error("graceful_shutdown_timeout", "must be between 0 and 300 seconds")
        if not 0 <= self.drain_seconds <= 60:
            raise self._error("drain_seconds", "must be between 0 and 60 seconds")
        if not 0 <= self.live_interval <= 5:
            raise self._error("live_interval", "must be between 0 and 5 seconds")
        if not 0.1 <= self.ping_interval <= 3600:
            raise self._error("ping_interval", "must be between 0.1 and 3600 seconds")
        if not 0 <= self.test_pause_after_commit <= 60:
            raise self._error("test_pause_after_commit", "must be between 0 and 60 seconds")
        if self.public_url and not _PUBLIC_URL.fullmatch(self.public_url):
            raise self._error("public_url", "must be an http:// or https:// address without a path")
        if self.webclient_dir and not os.path.isdir(self.webclient_dir):
            raise self._error("webclient_dir", f"is not a directory: {self.webclient_dir!r}")
