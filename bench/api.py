"""Control-plane calls to the stack (create polls, read results, health, HAProxy's view): plain urllib."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


class StackDown(RuntimeError):
    pass


@dataclass(frozen=True)
class PollRef:
    code: str
    option_ids: tuple[int, ...]
    kind: str = ""  # a kind whose ballot is no choice ("scale", "ranking", ...): votes.lua writes its answer

    @property
    def wrk_target(self) -> str:
        """The poll as bench/lua/votes.lua takes it: [KIND@]CODE:ID,ID,..."""
        prefix = f"{self.kind}@" if self.kind else ""
        return f"{prefix}{self.code}:{','.join(map(str, self.option_ids))}"


def _call(url: str, body: dict[str, Any] | None = None, timeout: float = 10.0, tries: int = 5) -> Any:
    """One JSON call; a refused, dropped or 5xx answer is tried again (a busy stack recovers), 5 times."""
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(tries):
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == tries - 1:
                raise
        except OSError:
            if attempt == tries - 1:
                raise
        time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def healthz(base: str, timeout: float = 2.0) -> dict[str, Any]:
    try:
        return dict(_call(f"{base}/healthz", timeout=timeout, tries=1))
    except (OSError, ValueError) as exc:
        raise StackDown(f"{base}/healthz does not answer ({exc})") from None


def create_poll(base: str, label: str, options: int = 4, **settings: Any) -> PollRef:
    body = {
        "question": f"bench: {label}"[:300],
        "options": [f"option {i + 1}" for i in range(options)],
        **settings,
    }
    poll = _call(f"{base}/api/polls", body)
    kind = poll["kind"] if poll["kind"] in ("scale", "ranking", "wordcloud", "text") else ""
    return PollRef(code=poll["code"], option_ids=tuple(o["id"] for o in poll["options"]), kind=kind)


def create_event(base: str, title: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """A new event with these questions: its JSON, admin token and questions' codes included."""
    return dict(_call(f"{base}/api/events", {"title": title, "questions": questions}))


def set_live(base: str, event: dict[str, Any], question: str) -> None:
    """Make one of the event's questions the live one (and open it), as its presenter does."""
    request = urllib.request.Request(
        f"{base}/api/events/{event['code']}/live",
        data=json.dumps({"question": question}).encode(),
        method="PUT",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {event['admin_token']}"},
    )
    with urllib.request.urlopen(request, timeout=30.0) as response:
        response.read()


def results(base: str, code: str) -> dict[str, Any]:
    return dict(_call(f"{base}/api/polls/{code}/results"))


def _stats(stats_port: int, backend: str) -> list[dict[str, str]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{stats_port}/stats;csv", timeout=2.0) as response:
        text = response.read().decode().lstrip("# ")
    rows = csv.DictReader(io.StringIO(text))
    return [r for r in rows if r["pxname"] == backend and r["svname"] != "BACKEND"]


def haproxy_servers(stats_port: int, backend: str = "web") -> dict[str, str]:
    """{server: status} of a backend, from HAProxy's stats CSV ("UP", "DOWN", "UP 1/2", ...)."""
    return {r["svname"]: r["status"] for r in _stats(stats_port, backend)}


def haproxy_downs(stats_port: int, backend: str = "web") -> dict[str, int]:
    """{server: how often HAProxy has marked it DOWN} (the stats' chkdown counter), {} when unreadable."""
    try:
        return {r["svname"]: int(r["chkdown"] or 0) for r in _stats(stats_port, backend)}
    except (OSError, ValueError, KeyError):
        return {}


def downs_between(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Servers HAProxy marked DOWN in between, and how often (a restarted HAProxy counts from zero)."""
    return {name: n - before.get(name, 0) for name, n in after.items() if n > before.get(name, 0)}


def wait_quiet(
    base_urls: dict[str, str], stats_port: int, baseline: dict[str, int], timeout: float
) -> dict[str, Any]:
    """Wait (bounded) until the replicas hold no more websockets than `baseline` and HAProxy sees them UP:
    the previous measurement's sockets are gone and its backlog is worked off. What was seen last."""
    deadline = time.monotonic() + timeout
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            seen = {name: healthz(url)["watchers"] for name, url in base_urls.items()}
            view = haproxy_servers(stats_port)
            seen["haproxy"] = view
            few = all(seen[name] <= baseline.get(name, 0) for name in base_urls)
            if few and all(view.get(name) == "UP" for name in base_urls):
                seen["quiet"] = True
                return seen
        except (StackDown, OSError):
            pass
        time.sleep(0.25)
    seen["quiet"] = False
    return seen


def wait_servers_up(stats_port: int, names: tuple[str, ...], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            view = haproxy_servers(stats_port)
            if all(view.get(n) == "UP" for n in names):
                return True
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    return False
