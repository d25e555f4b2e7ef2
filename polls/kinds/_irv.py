"""The counts of a ranking question, pure and from its ballots alone: the instant-runoff count round by round,
Borda points and the average rank. Standard library only, so the count can be recomputed anywhere (a
replica for each new version of a live question, a test, an export) and checked against other
implementations.

A ballot is a ranking of option ids, most preferred first; it may rank only some options (top K). An id that
is not one of the question's options counts as absent, and an option ranked twice counts where it first
appears, so that a ballot is always read the same way by every count here.

Instant runoff, round by round: each continuing ballot counts for its highest-ranked continuing option. An
option with more than half of the continuing ballots wins and the count stops. Otherwise the option with the
fewest votes is eliminated and its ballots move to their next continuing preference; a ballot that has none
left is exhausted, and the majority of later rounds is taken of the ballots still continuing. The count also
stops when one option is left (it wins), and when no ballot is continuing at all (no ballots, or none that
ranks an option): then one round and no winner.

The tie rule (`TIE_RULE`), when several options share the fewest votes: eliminate the one among them with the
fewest votes in the round before; if they were tied there too, look at the round before that, and so on back
to round one, which counts first preferences ("backwards tie-breaking"; each earlier round narrows the tied
options to those that had the fewest in it). Options tied in every round so far: the one listed last in the
question is eliminated. Each round that needed the rule says which options were tied and which round, or the
listing order, decided it. A tie for the win cannot happen (a winner has a strict majority); two options left
with equal votes are a tie for last place like any other.

Borda points: with n options, a ballot gives n-1 points to its first choice, n-2 to its second, and so on;
an option it leaves unranked gets no points from it (so a top-K ballot gives its K choices n-1 ... n-K).
The average rank of an option is its mean position (1 for first) on the ballots that rank it.

Speed: every count groups identical rankings first and works with each group's weight. Instant runoff is
incremental over the rounds (count_letters): each ranking is written as a string, a letter per option, and
each continuing option keeps the pile of rankings counted for it; eliminating an option deals out only its
pile, each ranking to the pile of the first letter left once the letters of the options out so far are
stripped off its front (one str.lstrip). 10,000 ballots over 10 options, each a random order of all ten
(nearly every ballot its own group, the worst case), count in about 3.5 ms from rankings written as letters
(as the ranking kind reads them from the database), and in about 10 ms from tuples of ids (instant_runoff,
count_groups: writing them as letters takes most of it); 0.25 and 1.3 ms when they are 500 distinct orders
(medians of 20 runs, time.perf_counter, on the 2-core development machine). Borda points and the average
rank take about 14 ms each for the worst case, 1.3 ms for the 500 orders.
`python -m timeit -s "import random; from polls.kinds._irv import instant_runoff;
rng = random.Random(1); ballots = [tuple(rng.sample(range(10), 10)) for _ in range(10_000)]"
"instant_runoff(range(10), ballots)"` measures it again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TIE_RULE",
    "Count",
    "Round",
    "Tie",
    "average_rank",
    "average_rank_of_places",
    "borda",
    "borda_of_places",
    "count_groups",
    "count_letters",
    "instant_runoff",
    "places_of",
]

# The name of the tie rule above, carried with every count so that a view can explain it.
TIE_RULE = "fewest_in_earlier_rounds_then_listed_last"

Ranking = tuple[int, ...]
# count_letters' pile of the exhausted rankings: what is left of a ranking that has no letter left.
_EXHAUSTED = ""


@dataclass(frozen=True)
class Tie:
    """Options tied for the fewest votes in a round, and what decided which of them was eliminated: the
    round whose votes did (`decided_by_round`), or None when they were tied in every round so far and the
    one listed last went."""

    options: tuple[int, ...]
    decided_by_round: int | None


@dataclass(frozen=True)
class Round:
    """One round of the count: every continuing option's votes (in the question's order), the ballots
    exhausted so far, and the option eliminated in it, if any, with where its ballots went (the options they
    moved to, in the question's order, and how many were exhausted)."""

    number: int
    votes: Mapping[int, int]
    exhausted: int
    eliminated: int | None = None
    transfers: Mapping[int, int] = field(default_factory=dict)
    transfers_exhausted: int = 0
    tie: Tie | None = None

    @property
    def continuing(self) -> int:
        """The ballots counted for an option in this round, of which a winner needs more than half."""
        return sum(self.votes.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "votes": [{"option": option, "votes": votes} for option, votes in self.votes.items()],
            "continuing": self.continuing,
            "exhausted": self.exhausted,
            "eliminated": self.eliminated,
            "transfers": [{"option": option, "votes": votes} for option, votes in self.transfers.items()],
            "transfers_exhausted": self.transfers_exhausted,
            "tie": None
            if self.tie is None
            else {"options": list(self.tie.options), "decided_by_round": self.tie.decided_by_round},
        }


@dataclass(frozen=True)
class Count:
    """An instant-runoff count: its rounds, the winner (None without ballots), and the tie rule it used."""

    ballots: int
    rounds: tuple[Round, ...]
    winner: int | None
    tie_rule: str = TIE_RULE

    def as_dict(self) -> dict[str, Any]:
        """The count as JSON-ready data: lists and dicts of ints, strings and None."""
        return {
            "ballots": self.ballots,
            "winner": self.winner,
            "tie_rule": self.tie_rule,
            "rounds": [one.as_dict() for one in self.rounds],
        }


def instant_runoff(options: Sequence[int], ballots: Iterable[Ranking]) -> Count:
    """Count the ballots by instant runoff, round by round (the rules and the tie rule: the module's
    docstring). `options` in the question's order, which the tie rule's last resort reads. Ballots already
    grouped (ranking -> how many, as SQL's GROUP BY gives them) go to count_groups."""
    return count_groups(options, Counter(ballots))


def count_groups(options: Sequence[int], groups: Mapping[Ranking, int]) -> Count:
    """instant_runoff of ballots grouped by ranking (each ranking once, with how many ballots gave it)."""
    letters = [chr(ord("A") + at) for at in range(len(options))]
    letter_of = dict(zip(options, letters, strict=True))
    written: dict[str, int] = {}
    for ranking, weight in groups.items():
        try:
            text = "".join(map(letter_of.__getitem__, ranking))
        except KeyError:  # an id that is no option's: absent
            text = "".join([letter_of.get(option, "") for option in ranking])
        written[text] = written.get(text, 0) + weight
    return count_letters(options, letters, written)


def count_letters(options: Sequence[int], letters: Sequence[str], groups: Mapping[str, int]) -> Count:
    """count_groups of rankings written as text, the fastest way in: each option as one character
    (`letters`, in the order of `options`), a ranking as its options' characters, most preferred first
    ("CAB" for the options lettered C, A, B); a character that is no option's counts as absent.

    Incremental, round by round: each continuing option has its pile of the rankings counted for it; an
    elimination deals out only the eliminated option's pile, each ranking to the pile of its first
    character left after stripping those of the options out so far (one str.lstrip), or to the exhausted
    pile; the votes each option gains are the weights of what landed on its pile."""
    letter_of = dict(zip(options, letters, strict=True))
    weight = groups.__getitem__
    piles: dict[str, list[str]] = {letter: [] for letter in letters}
    piles[_EXHAUSTED] = []
    gone = _deal(groups, "", piles)
    votes = {option: sum(map(weight, piles[letter_of[option]])) for option in options}
    exhausted = sum(map(weight, piles[_EXHAUSTED]))
    continuing = list(options)
    rounds: list[Round] = []
    while True:
        standing = {option: votes[option] for option in continuing}
        total = sum(standing.values())
        leader = max(standing, key=standing.__getitem__, default=None)
        if leader is None or 2 * standing[leader] > total or total == 0:
            rounds.append(Round(len(rounds) + 1, standing, exhausted))
            return Count(sum(groups.values()), tuple(rounds), leader if total else None)
        loser, tie = _loser(standing, rounds, options)
        continuing.remove(loser)
        gone += letter_of[loser]
        dealt = piles.pop(letter_of[loser])
        heights = {letter: len(pile) for letter, pile in piles.items()}
        gone = _deal(dealt, gone, piles)
        transfers = {}
        for option in continuing:
            letter = letter_of[option]
            if len(piles[letter]) > heights[letter]:
                transfers[option] = sum(map(weight, piles[letter][heights[letter] :]))
                votes[option] += transfers[option]
        moved_out = sum(map(weight, piles[_EXHAUSTED][heights[_EXHAUSTED] :]))
        rounds.append(Round(len(rounds) + 1, standing, exhausted, loser, transfers, moved_out, tie))
        exhausted += moved_out


def _deal(rankings: Iterable[str], gone: str, piles: Mapping[str, list[str]]) -> str:
    """Put each ranking on the pile of its first character not in `gone` (the exhausted pile if it has
    none). Returns `gone` with the characters met that are no option's (no pile) added: they count as
    absent, as an eliminated option does."""
    for ranking in rankings:
        try:
            piles[ranking.lstrip(gone)[:1]].append(ranking)
        except KeyError:
            rest = ranking.lstrip(gone)
            while rest[:1] not in piles:
                gone += rest[0]
                rest = rest.lstrip(gone)
            piles[rest[:1]].append(ranking)
    return gone


def _loser(
    standing: Mapping[int, int], earlier: Sequence[Round], options: Sequence[int]
) -> tuple[int, Tie | None]:
    """The option to eliminate this round, and the tie that was broken to choose it, if there was one."""
    fewest = min(standing.values())
    tied = [option for option, votes in standing.items() if votes == fewest]
    if len(tied) == 1:
        return tied[0], None
    remaining = tied
    for past in reversed(earlier):
        fewest_then = min(past.votes[option] for option in remaining)
        remaining = [option for option in remaining if past.votes[option] == fewest_then]
        if len(remaining) == 1:
            return remaining[0], Tie(tuple(tied), past.number)
    listed = {option: position for position, option in enumerate(options)}
    return max(remaining, key=listed.__getitem__), Tie(tuple(tied), None)


def borda(options: Sequence[int], ballots: Iterable[Ranking]) -> dict[int, int]:
    """Each option's Borda points: n-1 for a first choice ... 0 from a ballot that leaves it unranked."""
    return borda_of_places(options, places_of(options, Counter(ballots)))


def borda_of_places(options: Sequence[int], places: Sequence[Mapping[int, int]]) -> dict[int, int]:
    """borda, from the ballots' places (places_of)."""
    top = len(options) - 1
    return {option: sum((top - at) * place[option] for at, place in enumerate(places)) for option in options}


def average_rank(options: Sequence[int], ballots: Iterable[Ranking]) -> dict[int, float | None]:
    """Each option's mean position (1 for first) on the ballots that rank it; None if none does."""
    return average_rank_of_places(options, places_of(options, Counter(ballots)))


def average_rank_of_places(
    options: Sequence[int], places: Sequence[Mapping[int, int]]
) -> dict[int, float | None]:
    """average_rank, from the ballots' places (places_of)."""
    averages: dict[int, float | None] = {}
    for option in options:
        ranked_by = sum(place[option] for place in places)
        positions = sum(at * place[option] for at, place in enumerate(places, start=1))
        averages[option] = positions / ranked_by if ranked_by else None
    return averages


def places_of(options: Sequence[int], groups: Mapping[Ranking, int]) -> list[dict[int, int]]:
    """For each position on a ballot (first, second...), how many ballots rank each option there, from the
    ballots grouped by ranking; a ballot read as the module's docstring says (ids that are no option left
    out, an option ranked twice kept where it first appears)."""
    known = set(options)
    places = [dict.fromkeys(options, 0) for _ in options]
    for ranking, weight in groups.items():
        distinct = set(ranking)
        if len(distinct) != len(ranking) or not distinct <= known:
            ranking = tuple(dict.fromkeys(option for option in ranking if option in known))
        for place, option in zip(places, ranking, strict=False):
            place[option] += weight
    return places
