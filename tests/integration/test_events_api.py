"""The events API: create an event, drive it live, edit it, export it; a clear 4xx for every bad request."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api_client import codes
from tests.integration.events import auth, new_event, vote

QUESTIONS = [
    {"question": "Coffee or tea?", "options": ["Coffee", "Tea"]},
    {"question": "Which topics?", "options": ["A", "B", "C"], "kind": "multiple", "max_choices": 2},
    {"question": "Rate the talk", "options": ["1", "2", "3"], "visibility": "after_close"},
]
CODE_CHARS = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


@pytest.fixture
def event(client) -> dict:
    return new_event(client, "Town hall", QUESTIONS)


def test_creating_an_event_answers_201_with_its_questions_code_token_and_urls(event):
    assert len(event["code"]) == 6 and set(event["code"]) <= CODE_CHARS
    assert event["title"] == "Town hall" and event["live"] is None
    assert [q["question"] for q in event["questions"]] == [q["question"] for q in QUESTIONS]
    assert [q["position"] for q in event["questions"]] == [1, 2, 3]
    assert [q["status"] for q in event["questions"]] == ["closed"] * 3
    assert event["questions"][2]["visibility"] == "after_close"
    assert event["urls"]["join"].endswith(f"/{event['code']}")
    assert event["urls"]["control"].endswith(f"/e/{event['code']}/control?token={event['admin_token']}")


def test_reading_an_event_shows_every_question_only_to_its_admin(client, event):
    _, public = client.get(f"/api/events/{event['code']}")
    assert public.status == 200 and "questions" not in public.json and "admin_token" not in public.json
    _, admin = client.get(f"/api/events/{event['code']}", headers=auth(event))
    assert codes(admin.json) == codes(event)
    _, wrong = client.get(f"/api/events/{event['code']}", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 403


def test_making_a_question_live_opens_it_and_votes_count(client, event):
    first = codes(event)[0]
    _, response = client.put(
        f"/api/events/{event['code']}/live", json={"question": first}, headers=auth(event)
    )
    assert response.status == 200
    assert response.json["live"]["code"] == first and response.json["live"]["status"] == "open"
    assert vote(client, first, "phone-0001", 2) == 200
    assert vote(client, codes(event)[1], "phone-0001", 1) == 409  # not opened yet
    _, results = client.get(f"/api/polls/{first}/results", headers=auth(event))
    assert [o["votes"] for o in results.json["options"]] == [0, 1]


def test_a_question_can_go_live_without_opening_and_be_taken_off(client, event):
    first = codes(event)[0]
    body = {"question": first, "open": False}
    _, response = client.put(f"/api/events/{event['code']}/live", json=body, headers=auth(event))
    assert response.json["live"]["status"] == "closed"
    _, response = client.put(
        f"/api/events/{event['code']}/live", json={"question": None}, headers=auth(event)
    )
    assert response.json["live"] is None


@pytest.mark.parametrize(
    ("action", "field", "value"), [("close", "status", "closed"), ("hide", "revealed", False)]
)
def test_presenter_actions_change_the_question(client, event, action, field, value):
    first = codes(event)[0]
    client.put(f"/api/events/{event['code']}/live", json={"question": first}, headers=auth(event))
    _, response = client.post(f"/api/events/{event['code']}/questions/{first}/{action}", headers=auth(event))
    assert response.status == 200
    assert response.json["questions"][0][field] == value


def test_a_countdown_opens_voting_with_a_closing_time(client, event):
    first = codes(event)[0]
    path = f"/api/events/{event['code']}/questions/{first}/countdown"
    _, response = client.post(path, json={"seconds": 30}, headers=auth(event))
    question = response.json["questions"][0]
    assert question["status"] == "open" and question["closes_at"] is not None
    for bad in (0, 3601, "30", True, None):
        _, response = client.post(path, json={"seconds": bad}, headers=auth(event))
        assert response.status == 422


def test_a_reset_starts_a_new_round_and_keeps_the_old_one_for_export(client, event):
    first = codes(event)[0]
    client.put(f"/api/events/{event['code']}/live", json={"question": first}, headers=auth(event))
    vote(client, first, "phone-0001", 1)
    vote(client, first, "phone-0002", 2)
    _, response = client.post(f"/api/events/{event['code']}/questions/{first}/reset", headers=auth(event))
    assert response.json["questions"][0]["round"] == 2 and response.json["questions"][0]["status"] == "open"
    assert vote(client, first, "phone-0001", 2) == 200
    _, exported = client.get(f"/api/events/{event['code']}/export.json", headers=auth(event))
    rows = [r for r in exported.json["rows"] if r["question_code"] == first]
    assert [(r["round"], r["option"], r["votes"]) for r in rows] == [
        (1, "Coffee", 1),
        (1, "Tea", 1),
        (2, "Coffee", 0),
        (2, "Tea", 1),
    ]


def test_the_csv_export_has_a_row_per_question_option_and_round(client, event):
    client.put(f"/api/events/{event['code']}/live", json={"question": codes(event)[1]}, headers=auth(event))
    vote(client, codes(event)[1], "phone-0003", 1, 3)
    _, response = client.get(f"/api/events/{event['code']}/export.csv?token={event['admin_token']}")
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2 + 3 + 3
    topics = {r["option"]: int(r["votes"]) for r in rows if r["question_code"] == codes(event)[1]}
    assert topics == {"A": 1, "B": 0, "C": 1}


def test_the_csv_export_opens_in_a_spreadsheet_as_written_and_runs_no_formula(client):
    questions = [{"question": "@SUM(A1:A9) or Grüße?", "options": ["=1+1", "-2 °C", "Straße"]}]
    _, created = client.post("/api/events", json={"title": '=HYPERLINK("x")', "questions": questions})
    code, token = created.json["code"], created.json["admin_token"]
    for separator, expected in (("", ","), ("?sep=%3B", ";")):
        _, response = client.get(f"/api/events/{code}/export.csv{separator}", headers=auth(created.json))
        assert response.status == 200
        assert response.body.startswith("\ufeff".encode()) and b"\r\n" in response.body
        rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig")), delimiter=expected))
        assert rows[0][:3] == ["event", "event_title", "position"]
        cells = {cell for row in rows[1:] for cell in row}
        assert {'\'=HYPERLINK("x")', "'@SUM(A1:A9) or Grüße?", "'=1+1", "'-2 °C", "Straße"} <= cells
        assert not any(cell and cell[0] in "=+-@" for cell in cells if not cell.lstrip("-").isdigit())
    _, refused = client.get(f"/api/events/{code}/export.csv?sep=tab&token={token}")
    assert refused.status == 422 and "sep must be" in refused.json["error"]


def test_questions_can_be_added_edited_reordered_and_deleted(client, event):
    code, headers = event["code"], auth(event)
    _, response = client.post(
        f"/api/events/{code}/questions",
        json={"question": "Anything else?", "options": ["No", "Yes"]},
        headers=headers,
    )
    assert response.status == 201 and len(response.json["questions"]) == 4
    new = response.json["questions"][3]["code"]
    _, response = client.put(
        f"/api/events/{code}/questions/{new}",
        json={"question": "Anything?", "options": ["y", "n", "?"]},
        headers=headers,
    )
    assert response.json["questions"][3]["question"] == "Anything?"
    assert [o["label"] for o in response.json["questions"][3]["options"]] == ["y", "n", "?"]
    order = [new, *codes(event)]
    _, response = client.put(f"/api/events/{code}/order", json={"order": order}, headers=headers)
    assert codes(response.json) == order
    _, response = client.delete(f"/api/events/{code}/questions/{new}", headers=headers)
    assert codes(response.json) == codes(event)
    _, response = client.patch(f"/api/events/{code}", json={"title": "All hands"}, headers=headers)
    assert response.json["title"] == "All hands"


def test_a_question_with_votes_cannot_be_edited_until_it_is_reset(client, event):
    first = codes(event)[0]
    client.put(f"/api/events/{event['code']}/live", json={"question": first}, headers=auth(event))
    vote(client, first, "phone-0001", 1)
    body = {"question": "Changed?", "options": ["x", "y"]}
    _, response = client.put(f"/api/events/{event['code']}/questions/{first}", json=body, headers=auth(event))
    assert response.status == 409 and "reset it" in response.json["error"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/events", {"questions": []}, 422, "title must be a string"),
        ("POST", "/api/events", {"title": "T", "questions": "x"}, 422, "questions must be a list"),
        (
            "POST",
            "/api/events",
            {"title": "T", "questions": [{"question": "Q", "options": ["a"]}]},
            422,
            "Question 1",
        ),
        (
            "POST",
            "/api/events",
            {"title": "T", "questions": [{"question": "Q", "options": ["a", "b"], "visibility": "x"}]},
            422,
            "visibility",
        ),
        ("GET", "/api/events/ZZZZZZ", None, 404, "no event with that code"),
        ("GET", "/api/events/ZZZZZZ/export.csv", None, 404, "no event with that code"),
    ],
)
def test_bad_event_requests_get_a_clear_json_error(client, method, path, body, status, message):
    _, response = client.request(path, http_method=method, json=body)
    assert response.status == status
    assert message in response.json["error"]


def test_every_admin_action_needs_the_token(client, event):
    code, first = event["code"], codes(event)[0]
    for method, path, body in [
        ("PUT", f"/api/events/{code}/live", {"question": first}),
        ("POST", f"/api/events/{code}/questions/{first}/close", None),
        ("POST", f"/api/events/{code}/questions/{first}/countdown", {"seconds": 5}),
        ("POST", f"/api/events/{code}/questions", QUESTIONS[0]),
        ("DELETE", f"/api/events/{code}/questions/{first}", None),
        ("PUT", f"/api/events/{code}/order", {"order": codes(event)}),
        ("GET", f"/api/events/{code}/export.csv", None),
        ("GET", f"/api/events/{code}/presence", None),
    ]:
        _, response = client.request(
            path, http_method=method, json=body, headers={"Authorization": "Bearer x"}
        )
        assert response.status == 403, (method, path)


@pytest.mark.parametrize(
    "order", [["AAAAAA"], [], "abc", None], ids=["unknown", "missing", "not-a-list", "null"]
)
def test_a_new_order_must_name_every_question_once(client, event, order):
    _, response = client.put(f"/api/events/{event['code']}/order", json={"order": order}, headers=auth(event))
    assert response.status == 422


def test_an_unknown_question_of_an_event_is_404(client, event):
    _, response = client.post(f"/api/events/{event['code']}/questions/ZZZZZZ/open", headers=auth(event))
    assert response.status == 404 and "no question with that code" in response.json["error"]


def test_ending_an_event_closes_its_questions_and_takes_its_token(client, event):
    client.put(f"/api/events/{event['code']}/live", json={"question": codes(event)[0]}, headers=auth(event))
    _, refused = client.post(f"/api/events/{event['code']}/end")
    assert refused.status == 403
    _, ended = client.post(f"/api/events/{event['code']}/end", headers=auth(event))
    assert ended.status == 200 and ended.json["ended"] is True and ended.json["live"] is None
    assert {q["status"] for q in ended.json["questions"]} == {"closed"}
    assert vote(client, codes(event)[0], "phone-late", 1) == 409
    _, resumed = client.put(
        f"/api/events/{event['code']}/live", json={"question": codes(event)[1]}, headers=auth(event)
    )
    assert resumed.json["ended"] is False and resumed.json["live"]["code"] == codes(event)[1]
