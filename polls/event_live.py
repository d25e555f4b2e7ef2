"""Live events: compose each event's screens from its state and its live question's results, and count
the participants connected to all replicas."""

from __future__ import annotations

import time

from polls.bus.messages import Presence
from polls.domain import Results
from polls.live import Hub

# Each replica reports its participants this often; a report not renewed within the TTL is forgotten
# (that replica died).
PRESENCE_INTERVAL = 2.0
PRESENCE_TTL = 3 * PRESENCE_INTERVAL


class EventHub(Hub):
    """The hub of event views (a separate type, so that handlers can ask for it by type)."""


class EventFeed:
    """Pushes a new view to an event's screens when the results of its live question change."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def on_results(self, results: Results) -> None:
        for view in self.hub.latest():
            if view.event.live != results.code:
                continue
            if view.results is None or results.version > view.results.version:
                await self.hub.deliver(view.with_results(results))


class PresenceBoard:
    """Participants per event, summed over the replicas that reported recently."""

    def __init__(self, instance: str, hub: Hub, fmt: str = "participant:") -> None:
        self.instance = instance
        self.hub = hub
        self.fmt = fmt  # the formats of participants' sockets start with this
        self._reports: dict[str, tuple[float, dict[str, int]]] = {}

    def local(self) -> Presence:
        return Presence(self.instance, self.hub.watcher_counts(self.fmt))

    def record(self, presence: Presence) -> None:
        self._reports[presence.instance] = (time.monotonic(), presence.participants)

    def participants(self, event_code: str) -> int:
        now = time.monotonic()
        others = sum(
            counts.get(event_code, 0)
            for instance, (at, counts) in self._reports.items()
            if instance != self.instance and now - at <= PRESENCE_TTL
        )
        # This replica's own count is always current, whether or not its report came back yet.
        return others + self.hub.watcher_counts(self.fmt).get(event_code, 0)
