"""The brief's demo on a real Docker engine: `docker compose up -d reverse-proxy`, `up -d web`,
`up -d --scale web=2`, then the page on port 3000, and one instance shut off while the room votes.

The tests run in this order on one stack (tests/docker/conftest.py). The failover figures are written to
tests/artifacts/docker-failover.json and quoted in the README.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import time

import httpx
import pytest
import websockets

from tests import api_client
from tests.docker.conftest import URL, Compose, haproxy_servers, wait_for
from tests.e2e.clients import Screen, wait_until_shown
from tests.voters import named_voter, new_voter

pytestmark = pytest.mark.docker

WS = URL.replace("http", "ws")
BALLOTS = 600
PHONES = 12
SCREENS = 16


def new_poll(options: int = 3) -> str:
    return api_client.new_poll(URL, "Docker?", list("abcdefgh")[:options])["code"]


def results(code: str) -> dict:
    return api_client.poll_results(URL, code)


def instances_seen(requests: int = 24) -> set[str]:
    return {httpx.get(f"{URL}/healthz", timeout=5).headers["X-Instance"] for _ in range(requests)}


def stored_ballots(compose: Compose, code: str) -> dict[str, list[int]]:
    rows = compose.psql(
        "SELECT b.voter, b.option_ids FROM ballots b JOIN polls p ON p.id = b.poll_id"
        f" WHERE p.code = '{code}'"
    )
    return {voter: [int(x) for x in ids.strip("{}").split(",")] for voter, ids in rows}


def counters_and_recount(compose: Compose, code: str) -> tuple[dict[str, int], dict[str, int]]:
    rows = compose.psql(
        "SELECT o.id, o.votes, count(b.voter) FROM options o JOIN polls p ON p.id = o.poll_id"
        " LEFT JOIN ballots b ON b.poll_id = p.id AND o.id = ANY (b.option_ids)"
        f" WHERE p.code = '{code}' GROUP BY o.id, o.votes ORDER BY o.id"
    )
    return {i: int(v) for i, v, _ in rows}, {i: int(c) for i, _, c in rows}


def test_the_three_commands_bring_up_every_service_healthy(compose):
    compose.wait_healthy({"reverse-proxy": 1, "web": 2, "db": 1, "rabbitmq": 1})
    assert httpx.get(f"{URL}/", timeout=10).status_code == 200


def test_both_replicas_answer_through_the_proxy_and_name_themselves(compose):
    wait_for(
        "two replicas UP in HAProxy",
        lambda: sum(r["status"] == "UP" for r in haproxy_servers().values()) == 2,
    )
    assert len(instances_seen()) == 2

    async def upgrade_instances() -> set[str]:
        code = new_poll()
        seen = set()
        for _ in range(8):
            async with websockets.connect(f"{WS}/api/polls/{code}/live") as ws:
                seen.add(ws.response.headers["X-Instance"])
        return seen

    assert asyncio.run(upgrade_instances()) == instances_seen()


async def test_a_vote_from_the_page_and_one_from_the_api_reach_the_live_socket(compose):
    code = new_poll()
    async with websockets.connect(f"{WS}/api/polls/{code}/live") as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["voters"] == 0
        async with httpx.AsyncClient(base_url=URL, timeout=10) as phone:
            assert (await phone.get(f"/p/{code}")).status_code == 200
            option = results(code)["options"][0]["id"]
            assert (await phone.post(f"/p/{code}/vote", data={"option": str(option)})).status_code == 200
            api = await phone.post(
                f"/api/polls/{code}/votes", json={"voter": await new_voter(phone), "options": [option]}
            )
            assert api.status_code == 200
        async with asyncio.timeout(10):
            while json.loads(await ws.recv())["voters"] != 2:
                pass
    assert results(code)["voters"] == 2


async def vote_while(compose: Compose, shut_off: list[str], label: str, artifacts) -> dict:
    """BALLOTS ballots from phones that never retry; after a quarter of them, `shut_off` one web container.
    Returns the figures measured, and checks that nothing was lost or counted twice."""
    code = new_poll()
    rng = random.Random(label)
    screens = [Screen(f"{WS}/api/polls/{code}/live").start() for _ in range(SCREENS)]
    await wait_until_shown(screens, results(code))
    victim = compose.containers("web")[0]
    addresses = compose.addresses(victim)
    slot = next(name for name, row in haproxy_servers().items() if row["addr"].split(":")[0] in addresses)

    acked: dict[str, list[int]] = {}
    errors: list[str] = []
    queue = list(range(BALLOTS))
    cast = 0
    async with httpx.AsyncClient(base_url=URL, timeout=30) as http:

        async def phone() -> None:
            nonlocal cast
            while queue:
                queue.pop()
                choice = [rng.randint(1, 3)]
                try:  # a new voter: asks for its id, then votes, each once
                    response = await http.post("/api/voters")
                    if response.status_code == 201:
                        voter = response.json()["voter"]
                        response = await http.post(
                            f"/api/polls/{code}/votes", json={"voter": voter, "options": choice}
                        )
                    if response.status_code == 200:
                        acked[voter] = choice
                    else:
                        errors.append(f"{response.status_code} {response.text[:80]}")
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                cast += 1
                await asyncio.sleep(0.15)

        phones = [asyncio.create_task(phone()) for _ in range(PHONES)]
        while cast < BALLOTS // 4:
            await asyncio.sleep(0.01)
        shut_at = time.monotonic()
        shutting = asyncio.create_task(
            asyncio.to_thread(subprocess.run, [*shut_off, victim], capture_output=True)
        )
        await asyncio.to_thread(
            wait_for,
            f"HAProxy marks {slot} DOWN",
            lambda: haproxy_servers().get(slot, {}).get("status", "").startswith(("DOWN", "MAINT")),
            30,
            0.05,
        )
        seconds_to_down = time.monotonic() - shut_at
        await asyncio.gather(*phones)
        await shutting
        final = results(code)
        await wait_until_shown(screens, final, within=30)
        for screen in screens:
            await screen.stop()

    moved = [s for s in screens if any(d >= shut_at for d in s.drops)]
    reconnects = [s.reconnected_at - shut_at for s in moved if s.reconnected_at]
    stored = stored_ballots(compose, code)
    counters, recount = counters_and_recount(compose, code)
    figures = {
        "shut_off": " ".join(shut_off),
        "ballots": BALLOTS,
        "ballots_after_shut_off": BALLOTS - BALLOTS // 4,
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "acknowledged": len(acked),
        "lost": sum(1 for voter, choice in acked.items() if stored.get(voter) != choice),
        "counted_twice": sum(counters.values()) - sum(recount.values()),
        "seconds_until_haproxy_marked_down": round(seconds_to_down, 3),
        "screens": SCREENS,
        "screens_moved": len(moved),
        "seconds_until_last_screen_reconnected": round(max(reconnects), 3) if reconnects else None,
    }
    previous = json.loads(path.read_text()) if (path := artifacts / "docker-failover.json").exists() else {}
    path.write_text(json.dumps({**previous, label: figures}, indent=2))
    print(f"\n{label}:", json.dumps(figures, indent=2))

    assert errors == [] and len(acked) == BALLOTS
    assert stored == acked and figures["lost"] == 0
    assert counters == recount and figures["counted_twice"] == 0
    assert final["voters"] == BALLOTS
    assert all(screen.went_back == 0 for screen in screens)
    assert len(reconnects) == len(moved) > 0
    return figures


@pytest.mark.parametrize(
    "shut_off",
    [["docker", "kill"], ["docker", "stop"]],
    ids=["docker-kill", "docker-stop"],
)
async def test_shutting_off_a_replica_mid_vote_loses_nothing(compose, shut_off, artifacts):
    await vote_while(compose, shut_off, "-".join(shut_off), artifacts)
    compose("up", "-d", "--scale", "web=2")
    compose.wait_healthy({"web": 2})
    wait_for(
        "two replicas UP in HAProxy",
        lambda: sum(r["status"] == "UP" for r in haproxy_servers().values()) == 2,
    )


def test_a_third_replica_is_picked_up_without_a_config_edit(compose):
    compose("up", "-d", "--scale", "web=3")
    compose.wait_healthy({"web": 3})
    wait_for("three replicas answering through HAProxy", lambda: len(instances_seen()) == 3)
    compose("up", "-d", "--scale", "web=2")
    compose.wait_healthy({"web": 2})


def cast(code: str, voter: str, option: int) -> bool:
    """The named voter's ballot (with the id the stack issued to that name); False if it was not taken."""
    try:
        body = {"voter": named_voter(URL, voter), "options": [option]}
        response = httpx.post(f"{URL}/api/polls/{code}/votes", json=body, timeout=10)
    except (httpx.HTTPError, AssertionError):
        return False
    return response.status_code == 200


def test_a_database_restart_loses_nothing(compose):
    code = new_poll()
    for i in range(5):
        assert cast(code, f"before-restart-{i}", 1)
    before = results(code)
    compose("restart", "db")
    compose.wait_healthy({"db": 1})
    wait_for("a vote accepted after the restart", lambda: cast(code, "after-restart", 2))
    after = results(code)
    assert after["voters"] == before["voters"] + 1 == 6


async def test_a_broker_restart_leaves_every_screen_current(compose):
    code = new_poll()
    screens = [Screen(f"{WS}/api/polls/{code}/live").start() for _ in range(8)]
    try:
        await wait_until_shown(screens, results(code))
        compose("restart", "rabbitmq")
        compose.wait_healthy({"rabbitmq": 1})
        for i in range(10):
            assert await asyncio.to_thread(
                wait_for, "a vote", lambda i=i: cast(code, f"bus-voter-{i}", 1 + i % 3), 30
            )
        await wait_until_shown(screens, results(code), within=60)
    finally:
        for screen in screens:
            await screen.stop()
    assert results(code)["voters"] == 10


def test_down_and_up_again_keeps_every_poll(compose):
    code = new_poll()
    assert cast(code, "kept-voter-1", 1) and cast(code, "kept-voter-2", 2)
    before = results(code)
    compose("down")
    compose("up", "-d", "--scale", "web=2")
    compose.wait_healthy({"reverse-proxy": 1, "web": 2, "db": 1, "rabbitmq": 1})
    assert wait_for("the poll after down and up", lambda: results(code)) == before
