"""Open text end to end: created with its length, moderation and filter (and refused outside them), one
answer per voter shown newest first, and moderation kept on every channel: an answer that is hidden,
waiting for approval or held by the filter reaches the presenter (their API, admin page and control view)
and no audience (the public API, its websocket, the projector, the phones), through both replicas."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import httpx
import pytest
import websockets

from tests.api_client import admin, answer, create_event, create_poll
from tests.integration.events import auth
from tests.integration.kinds import admin_results, answered_through_both_replicas
from tests.voters import named_voter

TEXT = {"kind": "text", "max_length": 120}


def new_text(client, **settings) -> dict:
    _, response = client.post("/api/polls", json={"question": "What should we change?", **TEXT, **settings})
    assert response.status == 201, response.text
    return response.json


def write(client, code: str, voter: str, text) -> object:
    _, response = client.post(
        f"/api/polls/{code}/votes", json={"voter": named_voter(client, voter), "text": text}
    )
    return response


def moderate(client, created: dict, entry, action: str) -> object:
    headers = {"Authorization": f"Bearer {created['admin_token']}"}
    body = {"entry": entry, "action": action}
    _, response = client.post(f"/api/polls/{created['code']}/moderation", json=body, headers=headers)
    return response


def wall(tally: dict) -> list[str]:
    return [entry["text"] for entry in tally["entries"]]


def public(client, code: str) -> dict:
    _, response = client.get(f"/api/polls/{code}/results")
    assert response.status == 200
    return response.json


def presenters(client, created: dict) -> dict:
    headers = {"Authorization": f"Bearer {created['admin_token']}"}
    _, response = client.get(f"/api/polls/{created['code']}/results", headers=headers)
    return response.json


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"max_length": 0}, "setting_invalid"),
        ({"max_length": 281}, "setting_invalid"),
        ({"moderation": "later"}, "moderation_invalid"),
        ({"filter": 1}, "setting_invalid"),
        ({"options": ["a"]}, "options_not_taken"),
    ],
)
def test_an_open_text_outside_its_rules_is_refused_with_a_reason_and_a_code(client, settings, code):
    _, response = client.post("/api/polls", json={"question": "Thoughts?", **TEXT, **settings})
    assert response.status == 422 and response.json["code"] == code, response.text


@pytest.mark.parametrize(
    ("text", "code"),
    [(None, "text_invalid"), ("", "text_empty"), ("x" * 121, "text_too_long"), (["a"], "text_invalid")],
)
def test_an_answer_outside_the_settings_is_refused_and_loses_nothing(client, text, code):
    created = new_text(client)
    assert write(client, created["code"], "t-keeper", "Kept").status == 200
    response = write(client, created["code"], "t-keeper", text)
    assert response.status == 422 and response.json["code"] == code, response.text
    _, missing = client.post(
        f"/api/polls/{created['code']}/votes", json={"voter": named_voter(client, "t-keeper")}
    )
    assert missing.status == 422 and missing.json["code"] == "text_missing"
    assert wall(public(client, created["code"])) == ["Kept"]


def test_answers_are_shown_newest_first_and_a_changed_answer_replaces_the_old(client):
    created = new_text(client)
    for voter, text in (("a", "More  breaks"), ("b", "Shorter talks"), ("c", "Better coffee")):
        assert write(client, created["code"], f"t-{voter}", text).status == 200
    assert wall(public(client, created["code"])) == ["Better coffee", "Shorter talks", "More breaks"]
    assert write(client, created["code"], "t-a", "Even more breaks").status == 200
    tally = public(client, created["code"])
    assert wall(tally) == ["Even more breaks", "Better coffee", "Shorter talks"]
    assert tally["voters"] == 3 and tally["shown"] == 3


def test_a_hidden_answer_leaves_every_audience_channel_and_comes_back_when_shown(client):
    created = new_text(client)
    code = created["code"]
    assert write(client, code, "h-1", "Fine").status == 200
    assert write(client, code, "h-2", "Rude remark").status == 200
    entry = next(e["id"] for e in public(client, code)["entries"] if e["text"] == "Rude remark")
    hidden = moderate(client, created, entry, "hide")
    assert hidden.status == 200 and wall(hidden.json) == ["Fine"]
    assert [e["text"] for e in hidden.json["hidden"]] == ["Rude remark"]
    tally = public(client, code)
    assert wall(tally) == ["Fine"] and tally["shown"] == 1 and "hidden" not in tally and "review" not in tally
    _, present = client.get(f"/p/{code}/present")
    _, phone = client.get(f"/p/{code}")
    assert "Rude remark" not in present.text and "Rude remark" not in phone.text and "Fine" in present.text
    _, admin_page = client.get(f"/p/{code}/admin", cookies={f"polls_admin_{code}": created["admin_token"]})
    assert "Rude remark" in admin_page.text  # the presenter sees it, to show it again
    assert wall(moderate(client, created, str(entry), "show").json) == ["Rude remark", "Fine"]


def test_with_approve_first_an_answer_waits_until_the_presenter_shows_it(client):
    created = new_text(client, moderation="approve_first")
    code = created["code"]
    assert write(client, code, "q-1", "Please approve me").status == 200
    assert wall(public(client, code)) == [] and public(client, code)["shown"] == 0
    queue = presenters(client, created)["queue"]
    assert [(e["text"], e["state"]) for e in queue] == [("Please approve me", "pending")]
    assert presenters(client, created)["review"] == {"waiting": 1, "hidden": 0}
    assert wall(moderate(client, created, queue[0]["id"], "show").json) == ["Please approve me"]
    assert write(client, code, "q-1", "Please approve me").status == 200  # the same again: still shown
    assert wall(public(client, code)) == ["Please approve me"]
    assert write(client, code, "q-1", "A changed text").status == 200  # a new text waits again
    assert (
        wall(public(client, code)) == []
        and presenters(client, created)["queue"][0]["text"] == "A changed text"
    )


def test_with_moderation_off_answers_cannot_be_hidden_but_the_filter_still_holds_rude_ones(client):
    created = new_text(client, moderation="off", filter=True)
    code = created["code"]
    assert write(client, code, "o-1", "All good").status == 200
    assert write(client, code, "o-2", "what a shit show").status == 200
    assert wall(public(client, code)) == ["All good"]
    held = presenters(client, created)["queue"]
    assert [(e["text"], e["state"]) for e in held] == [("what a shit show", "held")]
    refused = moderate(client, created, public(client, code)["entries"][0]["id"], "hide")
    assert refused.status == 409 and refused.json["code"] == "moderation_off"
    assert wall(moderate(client, created, held[0]["id"], "show").json) == ["what a shit show", "All good"]


@pytest.mark.parametrize(
    ("entry", "status", "code"),
    [("abc", 422, "entry_invalid"), (True, 422, "entry_invalid"), (999999999, 404, "entry_not_found")],
)
def test_a_moderation_of_no_answer_is_refused(client, entry, status, code):
    created = new_text(client)
    response = moderate(client, created, entry, "hide")
    assert response.status == status and response.json["code"] == code, response.text


async def test_an_event_question_keeps_its_unshown_answers_from_the_projector_and_phones_on_both_replicas(
    replicas,
):
    one, two = replicas
    question = {
        "question": "Questions for the panel?",
        **TEXT,
        "moderation": "approve_first",
        "visibility": "always",
    }
    event = await create_event(one.url, "Panel", [question])
    code = event["questions"][0]["code"]
    await admin(one.url, event, "PUT", "/live", {"question": code})
    async with (
        websockets.connect(f"{two.ws_url}/api/events/{event['code']}/live") as json_screen,
        websockets.connect(f"{two.ws_url}/e/{event['code']}/present/live") as projector,
        websockets.connect(
            f"{two.ws_url}/e/{event['code']}/control/live?token={event['admin_token']}"
        ) as control,
    ):
        await answer(one.url, code, "panel-1", text="Secret until approved")
        async with asyncio.timeout(10):
            while "Secret until approved" not in (await control.recv()):
                pass
            seen = [await json_screen.recv(), await projector.recv()]
        assert not any("Secret until approved" in message for message in seen)
        async with httpx.AsyncClient(base_url=one.url) as http:
            response = await http.get(f"/api/polls/{code}/results", headers=auth(event))
            entry = response.json()["queue"][0]["id"]
            moderated = await http.post(
                f"/e/{event['code']}/control/moderate",
                data={"question": code, "entry": str(entry), "do": "show"},
                headers={"X-Admin-Token": event["admin_token"], "HX-Request": "true"},
            )
            assert moderated.status_code == 200, moderated.text
        async with asyncio.timeout(10):
            while "Secret until approved" not in (await projector.recv()):
                pass
            while True:
                message = json.loads(await json_screen.recv())
                if (message.get("results") or {}).get("entries"):
                    break
        assert message["results"]["entries"][0]["text"] == "Secret until approved"
        assert "queue" not in message["results"]


async def test_concurrent_answers_and_changes_through_both_replicas_equal_the_ballots(replicas, database_url):
    code = (await create_poll(replicas[0].url, "Ideas", (), **TEXT))["code"]
    truth, pushed = await answered_through_both_replicas(
        replicas,
        code,
        100,
        lambda i: {"text": f"idea {i}"},
        lambda i: {"text": f"better idea {i}"},
        changes_every=4,
    )
    connection = await asyncpg.connect(database_url)
    try:
        stored = await connection.fetch(
            """SELECT b.texts[1] AS text, e.text AS entry FROM ballots b JOIN polls p ON p.id = b.poll_id
               JOIN text_entries e ON e.poll_id = b.poll_id AND e.voter = b.voter WHERE p.code = $1""",
            code,
        )
    finally:
        await connection.close()
    assert truth["voters"] == 100 == truth["shown"] == len(stored)
    assert all(row["text"] == row["entry"] for row in stored)
    assert sum(text.startswith("better idea") for text in wall(truth)) == 25
    assert len(truth["entries"]) == 50  # the newest page, not every answer
    assert pushed["entries"] == truth["entries"] and "queue" not in pushed
    assert await counted_by_state(database_url, code) == await entries_by_state(database_url, code)


async def entries_by_state(database_url: str, code: str) -> dict[str, int]:
    """How many of the question's answers are in each state, counted from the answers themselves."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            """SELECT e.state, count(*) AS n FROM text_entries e JOIN polls p ON p.id = e.poll_id
               WHERE p.code = $1 GROUP BY e.state""",
            code,
        )
    finally:
        await connection.close()
    return {row["state"]: row["n"] for row in rows}


async def counted_by_state(database_url: str, code: str) -> dict[str, int]:
    """The same as the question's counters per state keep it (zeros left out)."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            """SELECT c.state, c.entries FROM text_counts c JOIN polls p ON p.id = c.poll_id
               WHERE p.code = $1 AND c.entries > 0""",
            code,
        )
    finally:
        await connection.close()
    return {row["state"]: row["entries"] for row in rows}


async def test_the_counts_per_state_follow_every_answer_hold_approval_and_hiding_through_both_replicas(
    replicas, database_url
):
    created = await create_poll(replicas[0].url, "Ideas", (), **TEXT, moderation="approve_first", filter=True)
    code, presenter = created["code"], {"Authorization": f"Bearer {created['admin_token']}"}

    def rude_or_not(i: int) -> str:
        return f"shit idea {i}" if i % 5 == 0 else f"idea {i}"

    await answered_through_both_replicas(
        replicas, code, 60, lambda i: {"text": rude_or_not(i)}, lambda i: {"text": rude_or_not(i + 1)}
    )
    async with httpx.AsyncClient(base_url=replicas[1].url) as http:
        queue = (await http.get(f"/api/polls/{code}/results", headers=presenter)).json()["queue"]
        for number, entry in enumerate(queue[:30]):
            action = "hide" if number % 3 == 0 else "show"
            body = {"entry": entry["id"], "action": action}
            moderated = await http.post(f"/api/polls/{code}/moderation", json=body, headers=presenter)
            assert moderated.status_code == 200, moderated.text
        seen = (await http.get(f"/api/polls/{code}/results", headers=presenter)).json()
    by_state = await entries_by_state(database_url, code)
    assert await counted_by_state(database_url, code) == by_state
    assert by_state["held"] > 0 and by_state["pending"] > 0 and by_state["hidden"] == 10
    assert seen["shown"] == by_state["shown"] == 20
    assert seen["review"] == {"waiting": by_state["pending"] + by_state["held"], "hidden": 10}


def test_an_answer_is_escaped_on_every_page(client):
    created = new_text(client)
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    assert write(client, created["code"], "x-1", payload).status == 200
    _, present = client.get(f"/p/{created['code']}/present")
    _, admin_page = client.get(
        f"/p/{created['code']}/admin", cookies={f"polls_admin_{created['code']}": created["admin_token"]}
    )
    _, phone = client.get(
        f"/p/{created['code']}", headers={"Cookie": f"polls_voter={named_voter(client, 'x-1')}"}
    )
    for page in (present.text, admin_page.text, phone.text):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # there, as text


def test_a_phone_answers_from_its_page_and_a_refused_answer_keeps_what_it_typed(client):
    code = new_text(client, max_length=20)["code"]
    cookie = {"Cookie": f"polls_voter={named_voter(client, 'page-writer')}", "HX-Request": "true"}
    _, refused = client.post(f"/p/{code}/vote", data={"text": "far too long for twenty"}, headers=cookie)
    assert refused.status == 422 and "at most 20 characters" in refused.text
    assert ">far too long for twenty</textarea>" in refused.text  # the ballot stays, as typed
    _, sent = client.post(f"/p/{code}/vote", data={"text": "Short & sweet"}, headers=cookie)
    assert (
        sent.status == 200 and ">Short &amp; sweet</textarea>" in sent.text and "Change answer" in sent.text
    )
    assert wall(public(client, code)) == ["Short & sweet"]


async def test_a_new_round_and_its_undo_keep_every_answer_and_its_state(replicas, database_url):
    one, _ = replicas
    event = await create_event(one.url, "Retro", [{"question": "What next?", **TEXT, "visibility": "always"}])
    code = event["questions"][0]["code"]
    await admin(one.url, event, "PUT", "/live", {"question": code})
    for i, text in enumerate(("Fewer meetings", "More pairing", "Rude remark")):
        await answer(one.url, code, f"round-{i}", text=text)
    rude = next(
        e["id"] for e in (await admin_results(one.url, event, code))["entries"] if "Rude" in e["text"]
    )
    async with httpx.AsyncClient(base_url=one.url) as http:
        body = {"entry": rude, "action": "hide"}
        assert (await http.post(f"/api/polls/{code}/moderation", json=body, headers=auth(event))).is_success
    before = await admin_results(one.url, event, code)
    await admin(one.url, event, "POST", f"/questions/{code}/reset")
    cleared = await admin_results(one.url, event, code)
    assert (cleared["entries"], cleared["shown"], cleared["review"]) == ([], 0, {"waiting": 0, "hidden": 0})
    await admin(one.url, event, "POST", "/undo")
    after = await admin_results(one.url, event, code)
    assert (after["entries"], after["hidden"], after["shown"]) == (before["entries"], before["hidden"], 2)
    assert await counted_by_state(database_url, code) == await entries_by_state(database_url, code)


async def test_a_polls_admin_socket_needs_its_token_and_alone_is_sent_the_waiting_answers(replicas):
    one, two = replicas
    created = await create_poll(one.url, "Ideas", (), **TEXT, moderation="approve_first")
    code = created["code"]
    async with websockets.connect(f"{two.ws_url}/p/{code}/admin/live?token=wrong") as refused:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(refused.recv(), 5)
    assert closed.value.rcvd.code == 4403
    async with (
        websockets.connect(f"{two.ws_url}/p/{code}/admin/live?token={created['admin_token']}") as admin_page,
        websockets.connect(f"{two.ws_url}/p/{code}/live") as projector,
    ):
        await answer(one.url, code, "socket-1", text="Waiting to be read")
        async with asyncio.timeout(10):
            while "Waiting to be read" not in (fragment := await admin_page.recv()):
                pass
            while 'class="voters">1<' not in (public := await projector.recv()):
                pass
    assert "Show" in fragment and "Waiting to be read" not in public


def test_an_answer_with_the_characters_of_postgresqls_array_text_is_stored_as_written(client):
    created = new_text(client)
    text = 'Braces {a,b}, "quotes", a back\\slash \\" and NULL'
    assert write(client, created["code"], "array-1", text).status == 200
    assert wall(public(client, created["code"])) == [text]


def test_the_same_answer_sent_again_as_a_retry_would_changes_nothing(client):
    created = new_text(client, moderation="approve_first")
    code = created["code"]
    assert write(client, code, "retry-1", "Sent twice").status == 200
    first = presenters(client, created)
    assert write(client, code, "retry-1", "Sent twice").status == 200
    again = presenters(client, created)
    assert again["queue"] == first["queue"] and again["review"] == first["review"] == {
        "waiting": 1,
        "hidden": 0,
    }
    assert again["voters"] == 1
