"""Receive times from the kernel: SO_TIMESTAMPNS on a socket, read back from recvmsg's ancillary data.

A load generator sharing two cores with the system it measures is often late to run; the time the kernel
took a segment in is not, so receipts are timed with it instead of with the reading process's own clock.
Times are converted to time.monotonic() (CLOCK_MONOTONIC is system-wide, so processes can compare them).
"""

from __future__ import annotations

import socket
import struct
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python's socket module lacks the name
ANCILLARY = socket.CMSG_SPACE(16)  # room for one struct timespec
# One read buffer per process (one thread reads): recvmsg(n) would allocate n bytes on every call.
READ_VIEW = memoryview(bytearray(256 * 1024))


def timestamped_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def kernel_time(ancillary: list[tuple[int, int, bytes]]) -> float:
    """The receive time of the last segment a recvmsg returned, on the monotonic clock (now if none)."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return float(seconds + nanoseconds * 1e-9 - (time.time() - time.monotonic()))
    return time.monotonic()


def read(sock: socket.socket) -> tuple[bytes, float] | None:
    """What has arrived and when; b"" when the peer closed; None when nothing is there (yet)."""
    try:
        size, ancillary, _, _ = sock.recvmsg_into([READ_VIEW], ANCILLARY)
    except (BlockingIOError, InterruptedError):
        return None
    if not size:
        return b"", time.monotonic()
    return bytes(READ_VIEW[:size]), kernel_time(ancillary)
