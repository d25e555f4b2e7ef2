"""What the tests of the question kinds share: many voters answering one question at once through both
replicas, some of them changing their answer through the other one, while a JSON screen watches."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import websockets

from tests.api_client import results
from tests.integration.events import auth
from tests.voters import new_voter

Answer = Callable[[int], dict[str, Any]]  # the answer of the i-th voter, as the votes body takes it


async def answered_through_both_replicas(
    replicas: Any, code: str, voters: int, first: Answer, change: Answer | None = None, changes_every: int = 3
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`voters` voters answer at once, alternating the replicas; every `changes_every`-th then changes
    their answer (`change`) through the other replica. Returns the results read afterwards and the
    snapshot of that version as a JSON screen on the second replica was sent it."""
    one, two = replicas
    async with httpx.AsyncClient(base_url=one.url) as a, httpx.AsyncClient(base_url=two.url) as b:
        ids = [await new_voter(a) for _ in range(voters)]

        async def send(http: httpx.AsyncClient, voter: str, answer: dict[str, Any]) -> None:
            response = await http.post(f"/api/polls/{code}/votes", json={"voter": voter, **answer})
            assert response.status_code == 200, response.text

        async with websockets.connect(f"{two.ws_url}/api/polls/{code}/live") as screen:
            await asyncio.gather(*(send((a, b)[i % 2], v, first(i)) for i, v in enumerate(ids)))
            if change is not None:
                await asyncio.gather(
                    *(send((b, a)[i % 2], v, change(i)) for i, v in enumerate(ids) if i % changes_every == 0)
                )
            truth = await results(one.url, code)
            async with asyncio.timeout(10):
                while (pushed := json.loads(await screen.recv())).get("version") != truth["version"]:
                    pass
    return truth, pushed


async def admin_results(base: str, event: dict[str, Any], code: str) -> dict[str, Any]:
    """A question's results as its event's presenter reads them (with the event's admin token)."""
    async with httpx.AsyncClient(base_url=base) as http:
        response = await http.get(f"/api/polls/{code}/results", headers=auth(event))
        assert response.status_code == 200, response.text
        return response.json()
