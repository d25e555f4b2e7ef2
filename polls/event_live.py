"""Live events: compose each event's screens from its state and its live question's results, and count
the participants connected to all replicas."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from polls.bus.messages import Presence
from polls.domain import Results
from polls.event import EventView
from polls.live import Hub, Load, Render, Watcher

log = logging.getLogger("polls.live")

# Each replica reports its participants this often; a report not renewed within the TTL is forgotten
# (that replica died).
PRESENCE_INTERVAL = 2.0
PRESENCE_TTL = 3 * PRESENCE_INTERVAL


# A participant's socket is in one of two formats: "participant:<lang>" (results only when everyone may see
# them) or, once its voter has a ballot in a question whose results are for those who voted (after_vote),
# "participant-voted:<lang>". PARTICIPANT is the prefix both share.
PARTICIPANT = "participant"
SEALED = "participant:"
VOTED = "participant-voted:"

VotersWithBallots = Callable[[str, set[str]], Awaitable[set[str]]]


def participant_format(fmt: str, voted: bool) -> str:
    language = fmt.partition(":")[2]
    return f"{VOTED if voted else SEALED}{language}"


class EventHub(Hub):
    """The hub of event views. A participant's socket is shown the live question's results only as its
    voter may see them: the server decides, from the voter's ballot, never the page (no hidden numbers)."""

    def __init__(
        self,
        renderers: Mapping[str, Render],
        load: Load,
        voters_with_ballots: VotersWithBallots | None = None,
        **options: Any,
    ) -> None:
        super().__init__(renderers, load, **options)
        self._voters_with_ballots = voters_with_ballots
        # Per event: the live question and round, and the voters known to have a ballot in it. A ballot is
        # not taken back within a round (a new round starts empty), so a voter once found stays found.
        self._voted: dict[str, tuple[tuple[str, int], set[str]]] = {}

    async def arrange(self, view: EventView, watchers: list[Watcher] | None = None) -> None:
        """A socket that connects is arranged alone (a reconnect storm asks about each voter once)."""
        candidates = self._watchers.get(view.code, ()) if watchers is None else watchers
        participants = [w for w in candidates if w.format.startswith(PARTICIPANT)]
        question = view.question
        if question is None or question.visibility != "after_vote" or self._voters_with_ballots is None:
            self._voted.pop(view.code, None)
            self._show(participants, set())
            return
        key = (question.code, question.round)
        known_key, voted = self._voted.get(view.code, (key, set()))
        if known_key != key:
            voted = set()
        unknown = {w.audience for w in participants if w.audience and w.audience not in voted}
        if unknown:
            try:
                voted = voted | await self._voters_with_ballots(question.code, unknown)
            except Exception as exc:  # sealed until the next snapshot can tell
                log.warning("which participants of %s voted: %s", view.code, exc)
        self._voted[view.code] = (key, voted)
        self._show(participants, voted)

    @staticmethod
    def _show(participants: list[Watcher], voted: set[str]) -> None:
        for watcher in participants:
            watcher.format = participant_format(watcher.format, watcher.audience in voted)

    def unwatch(self, watcher: Watcher) -> None:
        super().unwatch(watcher)
        if watcher.code not in self._watchers:
            self._voted.pop(watcher.code, None)


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

    def __init__(self, instance: str, hub: Hub, fmt: str = PARTICIPANT) -> None:
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
