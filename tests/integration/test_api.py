"""The JSON API's contract: what each request answers, and a clear 4xx for every kind of bad input."""

from __future__ import annotations

import pytest

from polls.voters import VOTER_ID, VoterIds
from tests.voters import ask_voter

CODE_CHARS = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


def test_creating_a_poll_answers_201_with_code_token_and_urls(client):
    _, response = client.post(
        "/api/polls",
        json={"question": "Best day?", "options": ["Mon", "Fri"], "kind": "multiple", "max_choices": 2},
    )
    assert response.status == 201
    body = response.json
    assert len(body["code"]) == 6 and set(body["code"]) <= CODE_CHARS
    assert len(body["admin_token"]) >= 24
    assert body | {"code": None, "admin_token": None, "urls": None} == {
        "code": None,
        "admin_token": None,
        "urls": None,
        "question": "Best day?",
        "kind": "multiple",
        "max_choices": 2,
        "status": "open",
        "options": [{"id": 1, "label": "Mon"}, {"id": 2, "label": "Fri"}],
    }
    code = body["code"]
    assert body["urls"]["vote"].endswith(f"/p/{code}")
    assert body["urls"]["present"].endswith(f"/p/{code}/present")
    assert body["urls"]["admin"].endswith(f"/p/{code}/admin?token={body['admin_token']}")


def test_reading_a_poll_never_shows_its_admin_token(client, created):
    _, response = client.get(f"/api/polls/{created['code']}")
    assert response.status == 200
    assert "admin_token" not in response.json and "admin" not in response.json["urls"]
    assert response.json["options"] == created["options"]


def test_a_code_is_read_in_any_case(client, created):
    _, response = client.get(f"/api/polls/{created['code'].lower()}")
    assert response.status == 200


def test_a_voter_id_is_issued_by_the_server_each_time_a_new_one(client):
    first, second = ask_voter(client), ask_voter(client)
    assert first != second
    assert VOTER_ID.fullmatch(first) and VOTER_ID.fullmatch(second)


@pytest.mark.parametrize(
    "voter",
    [
        "phone-0001",  # made up, as clients chose their own ids before
        "A" * 22 + "." + "B" * 22,  # the right shape, not signed by this server
        VoterIds(b"a key that is not the server's, 32 bytes or more").issue(),  # signed with another key
    ],
)
def test_a_ballot_with_a_voter_id_the_server_did_not_issue_is_refused(client, created, voter):
    code = created["code"]
    _, response = client.post(f"/api/polls/{code}/votes", json={"voter": voter, "options": [2]})
    assert response.status == 422
    assert response.json == {
        "error": "voter must be an id issued by POST /api/voters.",
        "code": "voter_not_issued",
    }
    _, response = client.get(f"/api/polls/{code}/results")
    assert response.json["voters"] == 0


def test_a_vote_is_acknowledged_with_its_committed_version_and_counted(client, created, voter):
    code = created["code"]
    _, response = client.post(f"/api/polls/{code}/votes", json={"voter": voter, "options": [2]})
    assert response.status == 200
    assert response.json == {"accepted": True, "version": 1}
    _, response = client.get(f"/api/polls/{code}/results")
    assert response.json == {
        "code": code,
        "version": 1,
        "voters": 1,
        "status": "open",
        "options": [
            {"id": 1, "label": "Pizza", "votes": 0},
            {"id": 2, "label": "Tacos", "votes": 1},
            {"id": 3, "label": "Sushi", "votes": 0},
        ],
    }


def test_voting_again_replaces_the_ballot(client, created, voter):
    code = created["code"]
    for choice in ([1], [3], [3]):
        _, response = client.post(f"/api/polls/{code}/votes", json={"voter": voter, "options": choice})
        assert response.status == 200
    _, response = client.get(f"/api/polls/{code}/results")
    assert response.json["voters"] == 1
    assert [o["votes"] for o in response.json["options"]] == [0, 0, 1]


def test_closing_needs_the_admin_token_and_stops_votes(client, created, voter):
    code, token = created["code"], created["admin_token"]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
        _, response = client.post(f"/api/polls/{code}/close", headers=headers)
        assert response.status == 403
        assert "admin token" in response.json["error"]
    _, response = client.post(f"/api/polls/{code}/close", headers={"Authorization": f"Bearer {token}"})
    assert (response.status, response.json["status"]) == (200, "closed")
    _, response = client.post(f"/api/polls/{code}/votes", json={"voter": voter, "options": [1]})
    assert response.status == 409
    assert response.json == {"error": "This poll is closed; it takes no more votes.", "code": "poll_closed"}
    _, response = client.post(f"/api/polls/{code}/open", headers={"Authorization": f"Bearer {token}"})
    assert (response.status, response.json["status"]) == (200, "open")
    _, response = client.post(f"/api/polls/{code}/votes", json={"voter": voter, "options": [1]})
    assert response.status == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/polls", b"{not json", 400, "not valid JSON"),
        ("POST", "/api/polls", b"", 400, "empty"),
        ("POST", "/api/polls", b"\xff\xfe", 400, "not valid JSON"),
        ("POST", "/api/polls", b'["a"]', 422, "JSON object"),
        ("POST", "/api/polls", b'{"question": 5, "options": ["a", "b"]}', 422, "question must be a string"),
        ("POST", "/api/polls", b'{"question": "Q", "options": ["a"]}', 422, "2 to 20 options"),
        ("POST", "/api/polls", b'{"question": "Q", "options": ["a", "a"]}', 422, "different"),
        ("POST", "/api/polls", b'{"question": "Q", "options": ["a", "b"], "kind": 1}', 422, "kind must be"),
        ("POST", "/api/polls", b'{"question": "' + b"q" * 70_000 + b'"}', 413, "too large"),
        ("GET", "/api/polls/ZZZZZZ", None, 404, "no poll with that code"),
        ("GET", "/api/polls/not-a-code", None, 404, "no poll with that code"),
        ("GET", "/api/polls/ZZZZZZ/results", None, 404, "no poll with that code"),
        ("POST", "/api/polls/ZZZZZZ/votes", b'{"voter": "phone-0001", "options": [1]}', 404, "no poll"),
        ("POST", "/api/polls/ZZZZZZ/close", None, 404, "no poll"),
        ("GET", "/api/nothing/here", None, 404, "Nothing lives at this address"),
        ("GET", "/api/polls", None, 405, "does not take that method"),
        ("DELETE", "/api/polls/ZZZZZZ", None, 405, "does not take that method"),
    ],
)
def test_bad_requests_get_a_clear_json_error(client, method, path, body, status, message):
    _, response = client.request(path, http_method=method, content=body)
    assert response.status == status
    assert response.headers["content-type"].startswith("application/json")
    assert message in response.json["error"]
    assert "Traceback" not in response.text


def test_a_wrong_method_is_told_the_right_one(client):
    _, response = client.get("/api/polls")
    assert response.status == 405
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"voter": "short", "options": [1]}', "voter must be an id issued"),
        (b'{"voter": "VOTER", "options": [9]}', "Unknown option"),
        (b'{"voter": "VOTER", "options": [1, 2]}', "choose one option"),
        (b'{"voter": "VOTER", "options": "1"}', "list of option ids"),
        (b'{"voter": "VOTER"}', "list of option ids"),
        (b"[1]", "JSON object"),
    ],
)
def test_a_bad_vote_is_refused_with_422_and_loses_nothing(client, created, voter, body, message):
    code = created["code"]
    client.post(f"/api/polls/{code}/votes", json={"voter": voter, "options": [1]})
    _, response = client.post(f"/api/polls/{code}/votes", content=body.replace(b"VOTER", voter.encode()))
    assert response.status == 422
    assert message in response.json["error"]
    _, response = client.get(f"/api/polls/{code}/results")
    assert (response.json["voters"], response.json["options"][0]["votes"]) == (1, 1)


def test_every_response_names_the_replica_that_answered(client, created):
    for path in ("/healthz", f"/api/polls/{created['code']}", "/api/polls/ZZZZZZ", "/", "/nowhere"):
        _, response = client.get(path)
        assert response.headers["X-Instance"] == "test-1", path


def test_health_is_ok_while_postgresql_answers(client):
    _, response = client.get("/healthz")
    assert response.status == 200
    assert response.json["status"] == "ok" and response.json["instance"] == "test-1"


def test_the_openapi_page_documents_every_route(client):
    _, response = client.get("/docs/openapi.json")
    assert response.status == 200
    paths = response.json["paths"]
    for path, method in [
        ("/api/polls", "post"),
        ("/api/polls/{code}", "get"),
        ("/api/polls/{code}/votes", "post"),
        ("/api/polls/{code}/results", "get"),
        ("/api/polls/{code}/close", "post"),
        ("/api/polls/{code}/open", "post"),
        ("/healthz", "get"),
        ("/api/events", "post"),
        ("/api/events/{code}", "get"),
        ("/api/events/{code}/live", "put"),
        ("/api/events/{code}/export.csv", "get"),
        ("/api/events/{code}/questions/{question}/countdown", "post"),
    ]:
        assert method in paths[path], (path, method)
        assert paths[path][method]["summary"]
    summaries = [operation["summary"] for operation in (o for p in paths.values() for o in p.values())]
    assert not [s for s in summaries if s.startswith("partial(")], (
        "a websocket route is listed without its summary"
    )
    description = response.json["info"]["description"]
    assert "/api/polls/{code}/live" in description and "/api/events/{code}/live" in description


def test_the_openapi_page_has_each_kinds_settings_and_answer(client):
    _, response = client.get("/docs/openapi.json")
    paths = response.json["paths"]

    def shapes(path: str) -> list[dict]:
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        return body["oneOf"]

    kinds = {shape["properties"]["kind"].get("default") for shape in shapes("/api/polls")}
    assert kinds == {"single", "scale", "ranking", "wordcloud", "text"}  # a quiz is an event's
    answers = [set(shape["properties"]) - {"voter"} for shape in shapes("/api/polls/{code}/votes")]
    assert sorted(map(sorted, answers)) == [
        ["entries"],
        ["options"],
        ["options"],  # a quiz's
        ["ranking"],
        ["ratings"],
        ["text"],
    ]
    assert "/api/polls/{code}/moderation" in paths


def test_the_openapi_page_has_each_kinds_shape_for_an_events_questions_too(client):
    _, response = client.get("/docs/openapi.json")
    paths = response.json["paths"]
    added = paths["/api/events/{code}/questions"]["post"]["requestBody"]["content"]["application/json"]
    kinds = {shape["properties"]["kind"].get("default") for shape in added["schema"]["oneOf"]}
    assert kinds == {"single", "scale", "ranking", "wordcloud", "text", "quiz"}
    assert all("visibility" in shape["properties"] for shape in added["schema"]["oneOf"])
    event = paths["/api/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert len(event["properties"]["questions"]["items"]["oneOf"]) == 6
