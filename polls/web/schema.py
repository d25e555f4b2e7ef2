"""Shapes of the JSON API for the OpenAPI page (validation itself is the domain's rules)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CreatePoll:
    question: str
    options: list[str]
    kind: str = "single"
    max_choices: int | None = None


@dataclass
class OptionOut:
    id: int
    label: str


@dataclass
class Urls:
    vote: str
    present: str
    admin: str


@dataclass
class PollOut:
    code: str
    question: str
    kind: str
    max_choices: int
    status: str
    options: list[OptionOut]
    urls: Urls


@dataclass
class CreatedPoll(PollOut):
    admin_token: str


@dataclass
class NewVoter:
    voter: str


@dataclass
class CastVote:
    voter: str
    options: list[int]


@dataclass
class VoteAccepted:
    accepted: bool
    version: int


@dataclass
class OptionResultOut:
    id: int
    label: str
    votes: int


@dataclass
class ResultsOut:
    code: str
    version: int
    voters: int
    status: str
    options: list[OptionResultOut]


@dataclass
class Error:
    error: str  # in English, for a person (the pages say it in the person's language)
    code: str  # stable and machine-readable: "poll_closed", "too_many_choices", "results_sealed", ...
