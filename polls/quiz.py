"""A quiz's standings and its players' names: pure rules, no framework.

Scores are never stored: PostgreSQL derives them from the ballots (view `quiz_answers`, migration 0015), so
what a replica's death can change is what it acknowledged, and that is committed. A player is ranked by
points, ties broken by the total time their answers took (less is better); players alike in both share a
rank. Names: the nickname a player gave in the event, else an animal name drawn from their voter id
(stable, and telling nothing of it)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from polls.errors import N_, InvalidInput, NotAnObject
from polls.profanity import is_profane
from polls.text import clean_text

NICKNAME_MAX = 24
NICKNAME_TEXT = N_("The nickname")
LEADERBOARD_SIZE = 10  # the projection's and the phones' leaderboard: the top ten
PODIUM = 3

_ADJECTIVES = (
    "Agile", "Bold", "Brave", "Bright", "Calm", "Clever", "Cosy", "Curious", "Daring", "Eager", "Fancy",
    "Gentle", "Happy", "Jolly", "Keen", "Kind", "Lively", "Lucky", "Merry", "Mighty", "Nimble", "Noble",
    "Plucky", "Proud", "Quick", "Quiet", "Sharp", "Sunny", "Swift", "Witty", "Wise", "Zesty",
)  # fmt: skip
_ANIMALS = (
    "Badger", "Beaver", "Bison", "Crane", "Dolphin", "Eagle", "Falcon", "Ferret", "Fox", "Gecko", "Heron",
    "Hedgehog", "Ibex", "Jaguar", "Koala", "Lemur", "Lynx", "Marten", "Meerkat", "Moose", "Narwhal",
    "Octopus", "Otter", "Owl", "Panda", "Puffin", "Quokka", "Raven", "Seal", "Tapir", "Walrus", "Yak",
)  # fmt: skip


def animal_name(voter: str) -> str:
    """The name of a player without a nickname: the same for the same voter, in every event."""
    digest = hashlib.sha256(voter.encode("utf-8", "surrogatepass")).digest()
    return f"{_ADJECTIVES[digest[0] % len(_ADJECTIVES)]} {_ANIMALS[digest[1] % len(_ANIMALS)]}"


def parse_nickname(body: Any) -> str:
    """{"nickname": ...}: 1 to 24 characters, no word of the profanity lists."""
    if not isinstance(body, dict):
        raise NotAnObject()
    nickname = clean_text(body.get("nickname"), NICKNAME_TEXT, NICKNAME_MAX)
    if is_profane(nickname):
        raise InvalidInput(N_("Please choose another nickname."), code="nickname_refused")
    return nickname


@dataclass(frozen=True)
class Standing:
    """A player's place: rank (1 is first), name, points, right answers, answers and their total time."""

    rank: int
    name: str
    points: int
    right: int
    answered: int
    time_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "name": self.name,
            "points": self.points,
            "right": self.right,
            "answered": self.answered,
            "time_ms": self.time_ms,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> Standing:
        return cls(
            int(data["rank"]),
            str(data["name"]),
            int(data["points"]),
            int(data["right"]),
            int(data["answered"]),
            int(data["time_ms"]),
        )


@dataclass(frozen=True)
class Leaderboard:
    """The top of an event's quiz (no voter ids: every screen is sent it) and how many played."""

    top: tuple[Standing, ...]
    players: int

    @property
    def podium(self) -> tuple[Standing, ...]:
        return self.top[:PODIUM]

    @property
    def rest(self) -> tuple[Standing, ...]:
        return self.top[PODIUM:]

    def as_dict(self) -> dict[str, Any]:
        return {"players": self.players, "top": [standing.as_dict() for standing in self.top]}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Leaderboard:
        return cls(tuple(Standing.of(s) for s in data["top"]), int(data["players"]))


@dataclass(frozen=True)
class MyAnswer:
    """How a player's answer to one quiz question went."""

    right: bool
    points: int


@dataclass(frozen=True)
class Places:
    """Every player's place and how their answer to one question went, as of an event's version."""

    version: int
    players: int
    mine: dict[str, tuple[Standing, MyAnswer | None]]


@dataclass(frozen=True)
class MyStanding:
    """What a player's phone shows after a reveal: their place (None before they answered any question)
    among how many, and how their answer to the live question went (None if they gave none)."""

    name: str
    standing: Standing | None
    players: int
    answer: MyAnswer | None
