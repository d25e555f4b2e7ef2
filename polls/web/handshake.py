"""The websocket handshake's answer (101) names its replica in X-Instance, as every other answer does.

Sanic writes that answer itself, past the response middleware that sets the header on the others, through
its HTTP protocol's `send`. A class between WebSocketProtocol and HttpProtocol in the method resolution
order receives that call (WebSocketProtocol sends with `super().send`) and adds the header line."""

from __future__ import annotations

from sanic.server.protocols.http_protocol import HttpProtocol
from sanic.server.protocols.websocket_protocol import WebSocketProtocol

SWITCHING_PROTOCOLS = b"HTTP/1.1 101 "


class _NamedHandshake(HttpProtocol):
    header_line = b""

    async def send(self, data: bytes | bytearray) -> None:
        if data.startswith(SWITCHING_PROTOCOLS):
            status_end = data.index(b"\r\n") + 2
            data = data[:status_end] + self.header_line + data[status_end:]
        await super().send(data)  # type: ignore[no-untyped-call]  # Sanic's send is not annotated


def instance_protocol(instance: str) -> type[WebSocketProtocol]:
    """Sanic's websocket protocol, with X-Instance: <instance> on the handshake's answer."""
    return type(
        "InstanceWebSocketProtocol",
        (WebSocketProtocol, _NamedHandshake),
        {"header_line": f"X-Instance: {instance}\r\n".encode()},
    )
