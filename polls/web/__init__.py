"""The HTTP and websocket face of a replica: pages, JSON API, live sockets and health."""

from typing import Any

from sanic import Sanic

# The app's type wherever it is passed around: Sanic is generic in its config and context types, which this
# project leaves as Sanic's own.
App = Sanic[Any, Any]
