"""A word cloud end to end: created with its settings (and refused, with the reason and a code, outside
them), answered with entries that count as one however they are typed, its counters per entry kept exactly
under concurrent answers and changes through both replicas, only its top entries sent, the profanity filter
holding what it matches for the presenter alone, and every entry escaped."""

from __future__ import annotations

from collections import Counter

import asyncpg
import httpx
import pytest

from tests.api_client import admin, answer, create_event, create_poll
from tests.integration.kinds import admin_results, answered_through_both_replicas
from tests.voters import named_voter

CLOUD = {"kind": "wordcloud", "entries": 3, "max_length": 40}


def new_cloud(client, **settings) -> dict:
    body = {"question": "One word for today?", **CLOUD, **settings}
    _, response = client.post("/api/polls", json=body)
    assert response.status == 201, response.text
    return response.json


def send(client, code: str, voter: str, *entries) -> object:
    body = {"voter": named_voter(client, voter), "entries": list(entries)}
    _, response = client.post(f"/api/polls/{code}/votes", json=body)
    return response


def counts(tally: dict) -> dict[str, int]:
    return {entry["entry"]: entry["votes"] for entry in tally["entries"]}


def test_a_word_cloud_is_created_with_its_settings(client):
    created = new_cloud(client, filter=True)
    assert created["kind"] == "wordcloud" and created["max_choices"] == 3
    _, tally = client.get(f"/api/polls/{created['code']}/results")
    assert tally.json["cloud"] == {"entries": 3, "max_length": 40, "filter": True, "top": 100}
    assert tally.json["entries"] == [] and tally.json["counted"] == {"distinct": 0, "total": 0}


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"entries": 0}, "setting_invalid"),
        ({"entries": 6}, "setting_invalid"),
        ({"max_length": 41}, "setting_invalid"),
        ({"max_length": "20"}, "setting_invalid"),
        ({"top": 5}, "setting_invalid"),
        ({"filter": "yes"}, "setting_invalid"),
        ({"options": ["a", "b"]}, "options_not_taken"),
    ],
)
def test_a_word_cloud_outside_its_rules_is_refused_with_a_reason_and_a_code(client, settings, code):
    _, response = client.post("/api/polls", json={"question": "Words?", **CLOUD, **settings})
    assert response.status == 422 and response.json["code"] == code, response.text
    assert response.json["error"]


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "entries_invalid"),
        ("python", "entries_invalid"),
        (["a", "b", "c", "d"], "too_many_entries"),
        (["x" * 41], "text_too_long"),
        (["   "], "text_empty"),
        ([3], "text_invalid"),
        (["bad\u0000"], "text_invalid"),
    ],
)
def test_an_answer_outside_the_settings_is_refused_and_loses_nothing(client, entries, code):
    poll = new_cloud(client)["code"]
    assert send(client, poll, "cloud-keeper", "kept").status == 200
    response = send(client, poll, "cloud-keeper", *entries) if isinstance(entries, list) else None
    if response is None:
        body = {"voter": named_voter(client, "cloud-keeper"), "entries": entries}
        _, response = client.post(f"/api/polls/{poll}/votes", json=body)
    assert response.status == 422 and response.json["code"] == code, response.text
    _, tally = client.get(f"/api/polls/{poll}/results")
    assert counts(tally.json) == {"kept": 1}


def test_entries_count_as_one_however_they_are_typed_and_a_change_replaces_them(client):
    code = new_cloud(client)["code"]
    assert send(client, code, "w-a", "Python", "Rust").status == 200
    assert send(client, code, "w-b", "  python ", "PYTHON").status == 200  # once per voter
    assert send(client, code, "w-c", "Pyth\u006fn", "Stra\u00dfe").status == 200
    assert send(client, code, "w-d", "STRASSE", "cafe\u0301").status == 200  # NFC: café
    assert send(client, code, "w-e", "Caf\u00e9").status == 200
    _, tally = client.get(f"/api/polls/{code}/results")
    assert counts(tally.json) == {"python": 3, "strasse": 2, "café": 2, "rust": 1}
    assert tally.json["voters"] == 5
    assert send(client, code, "w-a", "Go").status == 200  # a changed answer moves its counts
    _, tally = client.get(f"/api/polls/{code}/results")
    assert counts(tally.json) == {"python": 2, "strasse": 2, "café": 2, "go": 1}
    assert tally.json["counted"] == {"distinct": 4, "total": 7} and tally.json["voters"] == 5


def test_the_screens_are_sent_the_top_entries_and_the_totals_not_every_entry(client):
    code = new_cloud(client, top=10, entries=1)["code"]
    for i in range(30):
        assert send(client, code, f"top-{i}", f"word {i % 25}").status == 200
    _, tally = client.get(f"/api/polls/{code}/results")
    assert len(tally.json["entries"]) == 10
    assert tally.json["counted"] == {"distinct": 25, "total": 30}
    assert [e["votes"] for e in tally.json["entries"]][:5] == [2, 2, 2, 2, 2]  # most voted first


async def totals(database_url: str, code: str) -> tuple[dict, dict]:
    """A word cloud's totals per state as its counters keep them, and as its entries' counters add up."""
    connection = await asyncpg.connect(database_url)
    try:
        kept = await connection.fetch(
            """SELECT t.state, t.measure, t.n FROM word_totals t JOIN polls p ON p.id = t.poll_id
               WHERE p.code = $1 AND t.n > 0""",
            code,
        )
        added = await connection.fetch(
            """SELECT w.state, count(*) AS entries, sum(w.votes) AS votes
               FROM word_counts w JOIN polls p ON p.id = w.poll_id
               WHERE p.code = $1 AND w.votes > 0 GROUP BY w.state""",
            code,
        )
    finally:
        await connection.close()
    by_counters = {(row["state"], row["measure"]): row["n"] for row in kept}
    by_entries = {(row["state"], m): row[m] for row in added for m in ("entries", "votes")}
    return by_counters, by_entries


async def tally_from_ballots(database_url: str, code: str) -> Counter[str]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT b.texts FROM ballots b JOIN polls p ON p.id = b.poll_id WHERE p.code = $1", code
        )
    finally:
        await connection.close()
    return Counter(entry for row in rows for entry in row["texts"])


async def test_concurrent_answers_and_changes_through_both_replicas_equal_the_ballots(replicas, database_url):
    code = (await create_poll(replicas[0].url, "Words", (), **CLOUD))["code"]
    words = ["alpha", "Beta", "gamma", "Delta", "epsilon", "zeta"]
    truth, pushed = await answered_through_both_replicas(
        replicas,
        code,
        120,
        lambda i: {"entries": [words[i % 6], words[i * 7 % 6].upper()]},
        lambda i: {"entries": [words[5 - i % 6]]},  # a third change their entries
    )
    assert truth["voters"] == 120
    assert counts(truth) == dict(await tally_from_ballots(database_url, code))
    assert pushed["entries"] == truth["entries"] and pushed["counted"] == truth["counted"]
    kept, added = await totals(database_url, code)
    assert kept == added
    assert truth["counted"] == {"distinct": len(truth["entries"]), "total": added[("shown", "votes")]}


def test_the_filter_holds_a_rude_entry_for_the_presenter_until_shown_and_hiding_takes_one_away(client):
    created = new_cloud(client, filter=True)
    code, presenter = created["code"], {"Authorization": f"Bearer {created['admin_token']}"}
    assert send(client, code, "rude-1", "shit", "nice").status == 200
    _, public = client.get(f"/api/polls/{code}/results")
    assert counts(public.json) == {"nice": 1} and "queue" not in public.json and "hidden" not in public.json
    _, present = client.get(f"/p/{code}/present")
    assert "shit" not in present.text and "nice" in present.text
    _, theirs = client.get(f"/api/polls/{code}/results", headers=presenter)
    assert theirs.json["queue"] == [{"entry": "shit", "votes": 1}]

    _, shown = client.post(
        f"/api/polls/{code}/moderation", json={"entry": "Shit", "action": "show"}, headers=presenter
    )
    assert shown.status == 200 and counts(shown.json) == {"nice": 1, "shit": 1} and shown.json["queue"] == []
    assert send(client, code, "rude-2", "shit").status == 200  # approved once: not held again
    _, hidden = client.post(
        f"/api/polls/{code}/moderation", json={"entry": "nice", "action": "hide"}, headers=presenter
    )
    assert counts(hidden.json) == {"shit": 2} and hidden.json["hidden"] == [{"entry": "nice", "votes": 1}]
    assert send(client, code, "rude-3", "nice").status == 200  # a hidden entry stays hidden
    _, public = client.get(f"/api/polls/{code}/results")
    assert counts(public.json) == {"shit": 2} and public.json["counted"] == {"distinct": 1, "total": 2}


@pytest.mark.parametrize(
    ("body", "token", "status", "code"),
    [
        ({"entry": "nice", "action": "hide"}, "wrong", 403, "admin_token_invalid"),
        ({"entry": "missing", "action": "hide"}, None, 404, "entry_not_found"),
        ({"entry": "nice", "action": "delete"}, None, 422, "action_unknown"),
        ({"entry": 5, "action": "hide"}, None, 422, "text_invalid"),
    ],
)
def test_a_moderation_that_cannot_be_done_is_refused_with_a_reason(client, body, token, status, code):
    created = new_cloud(client)
    assert send(client, created["code"], "mod-1", "nice").status == 200
    headers = {"Authorization": f"Bearer {token or created['admin_token']}"}
    _, response = client.post(f"/api/polls/{created['code']}/moderation", json=body, headers=headers)
    assert response.status == status and response.json["code"] == code, response.text
    _, tally = client.get(f"/api/polls/{created['code']}/results")
    assert counts(tally.json) == {"nice": 1}


def test_a_choice_question_has_nothing_to_moderate(client, created):
    headers = {"Authorization": f"Bearer {created['admin_token']}"}
    body = {"entry": "a", "action": "hide"}
    _, response = client.post(f"/api/polls/{created['code']}/moderation", json=body, headers=headers)
    assert response.status == 422 and response.json["code"] == "not_moderated"


PAYLOAD = "<script>alert(1)</script>"


def test_an_entry_is_escaped_on_every_page(client):
    created = new_cloud(client)
    code = created["code"]
    assert send(client, code, "xss-1", PAYLOAD, '"><img src=x onerror=alert(1)>').status == 200
    _, present = client.get(f"/p/{code}/present")
    _, admin_page = client.get(f"/p/{code}/admin", cookies={f"polls_admin_{code}": created["admin_token"]})
    for page in (present.text, admin_page.text):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # there, as text


async def test_the_new_round_undo_and_export_keep_every_entry(replicas):
    one, _ = replicas
    event = await create_event(one.url, "Retro", [{"question": "One word?", **CLOUD, "visibility": "always"}])
    code = event["questions"][0]["code"]
    await admin(one.url, event, "PUT", "/live", {"question": code})
    for i, word in enumerate(("calm", "Calm", "busy")):
        await answer(one.url, code, f"retro-{i}", entries=[word])
    before = await admin_results(one.url, event, code)
    await admin(one.url, event, "POST", f"/questions/{code}/reset")
    assert (await admin_results(one.url, event, code))["entries"] == []
    await admin(one.url, event, "POST", "/undo")
    assert (await admin_results(one.url, event, code))["entries"] == before["entries"]
    async with httpx.AsyncClient(base_url=one.url) as http:
        exported = await http.get(
            f"/api/events/{event['code']}/export.json",
            headers={"Authorization": f"Bearer {event['admin_token']}"},
        )
    rows = [(r["option"], r["votes"]) for r in exported.json()["rows"] if r["question_code"] == code]
    assert rows == [("calm", 2), ("busy", 1)]


def test_a_phone_sends_its_entries_from_its_page_and_a_refused_answer_keeps_what_it_typed(client):
    code = new_cloud(client, max_length=10)["code"]
    _, page = client.get(f"/p/{code}")
    assert page.text.count('name="entry"') == 3 and "Send answer" in page.text
    cookie = {"Cookie": f"polls_voter={named_voter(client, 'page-cloud')}", "HX-Request": "true"}
    _, refused = client.post(f"/p/{code}/vote", data={"entry": ["ok", "much too long"]}, headers=cookie)
    assert refused.status == 422 and "at most 10 characters" in refused.text
    assert 'value="much too long"' in refused.text and 'value="ok"' in refused.text
    _, sent = client.post(f"/p/{code}/vote", data={"entry": ["Tea", "", "tea"]}, headers=cookie)
    assert sent.status == 200 and 'value="tea"' in sent.text
    _, tally = client.get(f"/api/polls/{code}/results")
    assert counts(tally.json) == {"tea": 1}


async def test_the_totals_follow_every_hold_show_and_hide_through_both_replicas(replicas, database_url):
    created = await create_poll(replicas[0].url, "Words", (), **CLOUD, filter=True)
    code, presenter = created["code"], {"Authorization": f"Bearer {created['admin_token']}"}
    words = ["calm", "shit", "busy", "fuck", "fun"]
    await answered_through_both_replicas(
        replicas,
        code,
        60,
        lambda i: {"entries": [words[i % 5], words[(i + 1) % 5]]},
        lambda i: {"entries": [words[(i + 2) % 5]]},
    )
    async with httpx.AsyncClient(base_url=replicas[1].url) as http:
        for entry, action in (("shit", "show"), ("calm", "hide"), ("busy", "hide"), ("busy", "show")):
            body = {"entry": entry, "action": action}
            moderated = await http.post(f"/api/polls/{code}/moderation", json=body, headers=presenter)
            assert moderated.status_code == 200, moderated.text
        seen = moderated.json()
    kept, added = await totals(database_url, code)
    assert kept == added
    assert [e["entry"] for e in seen["queue"]] == ["fuck"]
    assert [e["entry"] for e in seen["hidden"]] == ["calm"]
    assert seen["counted"] == {"distinct": 3, "total": added[("shown", "votes")]}


def test_the_same_entries_sent_again_as_a_retry_would_change_nothing(client):
    code = new_cloud(client)["code"]
    assert send(client, code, "retry-1", "Tea", "coffee").status == 200
    assert send(client, code, "retry-1", "tea", "Coffee").status == 200
    _, tally = client.get(f"/api/polls/{code}/results")
    assert counts(tally.json) == {"coffee": 1, "tea": 1}
    assert tally.json["counted"] == {"distinct": 2, "total": 2} and tally.json["voters"] == 1
