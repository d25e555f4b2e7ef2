"""Fuzzing: schemathesis drives a running replica through every operation of the OpenAPI document the
replica serves itself.

Whatever a client sends, no operation answers a server error, and a client error says what was wrong:
`{"error": message}` in JSON wherever the client speaks JSON (the API, or `Accept: application/json`), an
HTML page for a browser.

schemathesis generates each case from the document: data that fits it and data that does not. Three cases
in four are then aimed at real data seeded for the operation (a poll, an event, their admin tokens), so that
the fuzzer gets past the 404 of an unknown code to the rules behind it, and carry a body of the fields the
handlers read: the document describes the bodies of the poll API only, not those of the event API or of the
pages' forms. The run is bounded: a fixed number of examples per operation, a timeout per request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, CheckContext, GenerationMode, Response
from schemathesis.core.result import Err

from polls.voters import VOTER_ID
from tests.processes import Replica
from tests.voters import get_voter

# About 40 operations: with this many examples each, the run takes about a minute on two cores.
EXAMPLES_PER_OPERATION = 20
REQUEST_TIMEOUT = 10.0

# What the routes' patterns accept, which the document does not say.
QUESTION_ACTIONS = ("open", "close", "reveal", "hide", "reset")
CONTROL_ACTIONS = (*QUESTION_ACTIONS, "go-live", "countdown", "delete", "add", "edit", "move-up", "move-down")

WORDS = ("single", "multiple", "always", "after_vote", "after_close", "presenter", "open", "closed")
# Numbers as a form sends them, with digits that str.isdigit() takes and int() does not, or not so many.
DIGITS = ("1", "2", "3", "-1", " 2 ", "", "²", "³", "①", "٣", "9" * 5000)

# Text a JSON client can send and PostgreSQL cannot store (NUL, lone surrogates), or should not.
NASTY = st.sampled_from(["\x00", "\ud800", "\udfff", "\x01", "\x7f", "²", "\u202e"])
# (A list of characters, joined: st.text() would drop the surrogates.)
TEXT = st.lists(st.characters() | NASTY, max_size=20).map("".join)
FORM_TEXT = st.text(st.characters(codec="utf-8"), max_size=20)
# A header carries bytes; those that are not UTF-8 reach the replica as surrogates.
HEADER_TEXT = st.text(st.characters(codec="latin-1", categories=["L", "N", "P", "S"]), min_size=1, max_size=9)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)
# schemathesis 4.32 validates a body against the document before it sends it, and its validator fails on a
# lone surrogate in a key of the top-level object or in a top-level string (deeper down it copes).
TOP_JSON = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.lists(ANY_JSON, max_size=4)
    | st.dictionaries(st.text(max_size=20), ANY_JSON, max_size=4)
)


@dataclass(frozen=True)
class Seeded:
    """A poll and an event made before the fuzzing starts, with the secrets that unlock their writes."""

    poll: str
    poll_token: str
    event: str
    event_token: str
    questions: tuple[str, ...]
    voters: tuple[str, ...]  # issued by the replica (POST /api/voters)


@pytest.fixture(scope="module")
def replica(database_url, amqp_url, exchange_name, tmp_path_factory) -> Iterator[Replica]:
    replica = Replica("fuzz", database_url, amqp_url, exchange_name, tmp_path_factory.mktemp("fuzz-logs"))
    try:
        yield replica.start()
    finally:
        replica.stop()
        # Shown by pytest only when a test failed: the server's side of a 5xx, its traceback.
        print(tail_of(replica.log))


def tail_of(log: Path, size: int = 8000) -> str:
    return log.read_text(errors="replace")[-size:] if log.exists() else ""


def seed(url: str) -> Seeded:
    """A fresh poll and event for each operation: the fuzzer closes, resets and deletes what it is given."""
    poll = httpx.post(
        f"{url}/api/polls",
        json={"question": "Lunch?", "options": ["Pizza", "Tacos", "Sushi"], "kind": "multiple"},
    )
    questions = [
        {"question": f"Question {visibility}?", "options": ["Yes", "No"], "visibility": visibility}
        for visibility in ("always", "after_vote", "after_close", "presenter")
    ]
    event = httpx.post(f"{url}/api/events", json={"title": "Fuzzed", "questions": questions})
    poll, event = poll.raise_for_status().json(), event.raise_for_status().json()
    return Seeded(
        poll["code"],
        poll["admin_token"],
        event["code"],
        event["admin_token"],
        tuple(question["code"] for question in event["questions"]),
        tuple(get_voter(url) for _ in range(3)),
    )


@pytest.fixture(scope="module")
def api_schema(replica: Replica) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{replica.url}/docs/openapi.json")


def mostly(usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` three times in four; `usual | other` would draw from each half the time."""
    return st.sampled_from([usual, usual, usual, other]).flatmap(lambda chosen: chosen)


def json_bodies(seeded: Seeded) -> st.SearchStrategy[Any]:
    """Objects of the fields the API's handlers read, each plausible or not, and now and then any JSON."""
    labels = st.lists(TEXT, min_size=2, max_size=4)
    fields = {
        "question": TEXT | st.sampled_from(seeded.questions),
        "options": labels | st.lists(st.integers(0, 12), max_size=4) | ANY_JSON,
        "title": TEXT,
        "voter": st.sampled_from(seeded.voters) | st.from_regex(VOTER_ID, fullmatch=True) | TEXT,
    }
    optional = {
        "kind": st.sampled_from(WORDS) | ANY_JSON,
        "max_choices": st.integers(0, 5) | ANY_JSON,
        "visibility": st.sampled_from(WORDS) | ANY_JSON,
        "questions": st.lists(st.fixed_dictionaries({"question": TEXT, "options": labels}), max_size=2)
        | ANY_JSON,
        "order": st.permutations(seeded.questions).map(list) | ANY_JSON,
        "seconds": st.integers(-1, 4000) | ANY_JSON,
        "open": st.booleans() | ANY_JSON,
    }
    shaped = st.fixed_dictionaries(fields, optional=optional)
    return mostly(shaped, TOP_JSON)


def form_bodies(seeded: Seeded) -> st.SearchStrategy[dict[str, list[str]]]:
    """Forms of the fields the pages' handlers read, each plausible or not."""

    def one(values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
        return st.lists(values, min_size=1, max_size=1)

    number = st.sampled_from(DIGITS) | FORM_TEXT
    lines = st.lists(FORM_TEXT, max_size=4).map("\n".join)
    fields = {
        "option": st.lists(st.sampled_from(DIGITS), min_size=1, max_size=3),
        "question": one(st.sampled_from(seeded.questions) | FORM_TEXT),
        "question_text": one(FORM_TEXT),
        "options": one(lines),
        "kind": one(st.sampled_from(WORDS) | FORM_TEXT),
        "max_choices": one(number),
        "visibility": one(st.sampled_from(WORDS) | FORM_TEXT),
        "title": one(FORM_TEXT),
        "questions": one(st.lists(lines, max_size=3).map("\n\n".join)),
        "seconds": one(number),
        "status": one(st.sampled_from(WORDS) | FORM_TEXT),
        "token": one(st.sampled_from([seeded.poll_token, seeded.event_token]) | FORM_TEXT),
    }
    return st.fixed_dictionaries({}, optional=fields)


def aimed_at(seeded: Seeded, case: Case) -> st.SearchStrategy[Case]:
    """The generated case as it is, or the same case aimed at the seeded data, with or without its
    secret, and (for an operation that takes a body) with a body of the fields its handler reads."""
    path, method = case.operation.path, case.operation.method.upper()
    api = path.startswith("/api/")

    def aim(question: str, action: str, accept: str | None, admin: str | None, body: Any) -> Case:
        of_poll = path.startswith(("/api/polls", "/p/"))
        parameters = dict(case.path_parameters or {})
        if "code" in parameters:
            parameters["code"] = seeded.poll if of_poll else seeded.event
        if "question" in parameters:
            parameters["question"] = question
        if "action" in parameters:
            parameters["action"] = action
        case.path_parameters = parameters
        headers = dict(case.headers or {})
        if accept is not None:
            headers["Accept"] = accept
        if admin is not None:
            token = (seeded.poll_token if of_poll else seeded.event_token) if admin == "the token" else admin
            headers["Authorization"] = f"Bearer {token}"
            headers["X-Admin-Token"] = token
            case.query = {**(case.query or {}), "token": token}
        case.headers = headers
        if body is not None:
            case.body = body
            case.media_type = "application/json" if api else "application/x-www-form-urlencoded"
        return case

    bodies: st.SearchStrategy[Any] = st.none()
    if method in ("POST", "PUT", "PATCH"):
        body = json_bodies(seeded) if api else form_bodies(seeded)
        bodies = mostly(body, st.none())
    aimed = st.builds(
        aim,
        question=st.sampled_from(seeded.questions),
        action=st.sampled_from(QUESTION_ACTIONS if api else CONTROL_ACTIONS),
        accept=st.sampled_from([None, "application/json", "text/html"]),
        admin=mostly(st.just("the token"), HEADER_TEXT | st.none()),
        body=bodies,
    )
    # Mostly aimed: a random code gets a 404 and nothing more.
    return mostly(aimed, st.just(case))


def speaks_json(case: Case) -> bool:
    """Whom the error handler answers in JSON: the API, and any client that asks for JSON."""
    accept = (case.headers or {}).get("Accept", "")
    return case.operation.path.startswith("/api") or accept.startswith("application/json")


@schemathesis.check
def no_server_error(ctx: CheckContext, response: Response, case: Case) -> None:
    """The database and the broker are up throughout: any 5xx is a bug, whatever the request was."""
    assert response.status_code < 500, f"a server error: {response.status_code}"


@schemathesis.check
def client_error_explains_itself(ctx: CheckContext, response: Response, case: Case) -> None:
    """A 4xx says what was wrong: `{"error": message, "code": code}` to a JSON client, a page to a browser."""
    if not 400 <= response.status_code < 500:
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    if speaks_json(case):
        assert content_type.startswith("application/json"), f"{response.status_code} as {content_type!r}"
        body = response.json()
        assert isinstance(body, dict) and list(body) == ["error", "code"], f"not error and code: {body!r}"
        assert isinstance(body["error"], str) and body["error"].strip(), f"an empty message: {body!r}"
        assert isinstance(body["code"], str) and re.fullmatch(r"[a-z]+(_[a-z]+)*", body["code"]), body
    else:
        assert content_type.startswith("text/html"), f"{response.status_code} as {content_type!r}"


CHECKS = [no_server_error, client_error_explains_itself]


def fuzz(operation: APIOperation, seeded: Seeded) -> None:
    """Hypothesis drives one operation, with data that fits the document and data that does not."""
    cases = st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode))

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        # Shrinking a failure would cost hundreds of requests more; the first failing request is reported.
        phases=[Phase.explicit, Phase.generate],
        # Slow requests, large bodies: what the health checks warn of is what a fuzzer does on purpose.
        suppress_health_check=list(HealthCheck),
    )
    @given(cases.flatmap(lambda case: aimed_at(seeded, case)))
    def call(case: Case) -> None:
        case.call_and_validate(checks=CHECKS, timeout=REQUEST_TIMEOUT)

    call()


def test_every_operation_answers_any_request_without_a_server_error_and_explains_a_client_error(
    replica: Replica, api_schema: BaseSchema
):
    # schemathesis.pytest.from_fixture would make each operation a subtest, but schemathesis 4.32 sets a
    # private attribute (Node._nodeid) that pytest 9.2 no longer has; so the operations run here in turn.
    fuzzed: list[str] = []
    failures: dict[str, str] = {}
    for result in api_schema.get_all_operations():
        if isinstance(result, Err):
            failures[str(result.err())] = "the document does not describe this operation validly"
            continue
        operation = result.ok()
        fuzzed.append(operation.label)
        try:
            fuzz(operation, seed(replica.url))
        # The first failing example; schemathesis groups distinct failures in a BaseExceptionGroup.
        except (Exception, BaseExceptionGroup) as exc:
            failures[operation.label] = f"{type(exc).__name__}: {exc}"
    assert {"POST /api/polls", "POST /api/polls/{code}/votes", "POST /api/events"} <= set(fuzzed)
    assert not failures, "\n\n".join(f"{label}\n{failure}" for label, failure in failures.items())
