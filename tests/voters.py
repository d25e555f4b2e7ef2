"""Voter ids as every client gets them: asked of the server (POST /api/voters) once per voter, then sent with
each of that voter's ballots. One helper per kind of client the tests use."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

VOTERS = "/api/voters"


def ask_voter(client: Any) -> str:
    """From the app under sanic-testing (a ReusableClient)."""
    _, response = client.post(VOTERS)
    assert response.status == 201, response.text
    return response.json["voter"]


def get_voter(base_url: str, within: float = 30.0) -> str:
    """From a running replica or the stack, for a test that cannot await: new_voter in a loop of its own,
    on a thread of its own (so it works inside another loop too, which it blocks meanwhile)."""

    async def ask() -> str:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            return await new_voter(http, within)

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, ask()).result()


async def new_voter(http: httpx.AsyncClient, within: float = 30.0) -> str:
    """From an async client (its base_url set), as a phone or a load generator asks: waiting out a moment of
    503 or 429 (a replica starting, a limit's window) until the deadline."""
    deadline = time.monotonic() + within
    while True:
        try:
            response = await http.post(VOTERS)
            if response.status_code == 201:
                return response.json()["voter"]
            seen: object = response.status_code
        except httpx.TransportError as exc:
            seen = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"no voter id within {within} s; last: {seen!r}")
        await asyncio.sleep(0.2)


_named: dict[tuple[int, str], str] = {}


def named_voter(client: Any, name: str) -> str:
    """The id the server issued to the voter a test calls `name` ("phone-0001"), asked the first time the
    name is used with this client (a sanic-testing client, or a base URL): a test reads as a story of named
    phones, each a real issued id."""
    key = (client if isinstance(client, str) else id(client), name)
    if key not in _named:
        _named[key] = get_voter(client) if isinstance(client, str) else ask_voter(client)
    return _named[key]


_named_async: dict[tuple[str, str], str] = {}


async def named_new_voter(http: httpx.AsyncClient, name: str) -> str:
    """The same for an async client: one id per name and address."""
    key = (str(http.base_url), name)
    if key not in _named_async:
        _named_async[key] = await new_voter(http)
    return _named_async[key]
