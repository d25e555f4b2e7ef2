"""The pages: create and join from home, vote from a phone, present on a projector, run the poll as admin."""

from __future__ import annotations

import re

import httpx
import pytest

from polls.voters import VOTER_ID
from tests.voters import named_voter

HX = {"HX-Request": "true"}


def make_poll(client, question="Lunch?", options=("Pizza", "Tacos")) -> dict:
    _, response = client.post("/api/polls", json={"question": question, "options": list(options)})
    return response.json


def checked(html: str) -> list[int]:
    """The option ids a ballot form shows as chosen."""
    return [int(v) for v in re.findall(r'value="(\d+)"\s+checked', html)]


def test_home_offers_to_create_and_to_join(client):
    _, response = client.get("/")
    assert response.status == 200
    assert 'hx-post="/polls"' in response.text and 'action="/join"' in response.text
    assert (
        "/static/vendor/htmx.min.js" in response.text and "/static/vendor/ext/hx-ws.min.js" in response.text
    )


def test_the_page_assets_are_served(client):
    for path in (
        "/static/app.css",
        "/static/app.js",
        "/static/vendor/htmx.min.js",
        "/static/vendor/ext/hx-ws.min.js",
    ):
        _, response = client.get(path)
        assert response.status == 200, path


def admin_page(client, code: str, token: str):
    """The admin page as the presenter's browser gets it: the secret link, exchanged for a cookie."""
    _, exchanged = client.get(f"/p/{code}/admin?token={token}", follow_redirects=False)
    assert exchanged.status == 303 and exchanged.headers["location"] == f"/p/{code}/admin"
    _, response = client.get(f"/p/{code}/admin", cookies={f"polls_admin_{code}": token})
    return response


def test_creating_from_the_form_leads_to_the_admin_page(client):
    form = {"question": "Team lunch?", "options": "Pizza\n\nTacos\r\nSushi\n", "kind": "single"}
    _, response = client.post("/polls", data=form, headers=HX)
    assert response.status == 204
    admin = response.headers["HX-Redirect"]
    assert re.fullmatch(r"/p/[A-Z0-9]{6}/admin\?token=[\w-]+", admin)
    _, response = client.post("/polls", data=form, follow_redirects=False)
    assert response.status == 303 and "/admin?token=" in response.headers["location"]
    code, token = admin.split("/")[2], admin.split("token=")[1]
    response = admin_page(client, code, token)
    assert response.status == 200 and "Team lunch?" in response.text and "Sushi" in response.text


def test_a_bad_form_gets_the_reason_as_a_fragment(client):
    _, response = client.post("/polls", data={"question": "Q", "options": "only one"}, headers=HX)
    assert response.status == 422
    assert "2 to 20 options" in response.text
    assert "<html" not in response.text


@pytest.mark.parametrize(
    ("form", "english", "german"),
    [
        (
            {"question": "Q", "options": "a\nb\nc", "kind": "multiple", "max_choices": "5"},
            "The maximum number of choices must be between 1 and 3.",
            "Die Höchstzahl der Antworten muss zwischen 1 und 3 liegen.",
        ),
        (
            {"question": "  ", "options": "a\nb"},
            "The question must not be empty.",
            "Die Frage darf nicht leer sein.",
        ),
        (
            {"question": "Q", "options": "a\n" + "b" * 121},
            "Each option must be at most 120 characters.",
            "Jede Option darf höchstens 120 Zeichen lang sein.",
        ),
        (
            {"question": "Q", "options": "a\nb", "kind": "multiple", "max_choices": "two"},
            "The maximum number of choices must be a whole number.",
            "Die Höchstzahl der Antworten muss eine ganze Zahl sein.",
        ),
    ],
)
def test_a_refused_form_says_why_in_the_pages_language_and_the_api_in_english_with_a_code(
    client, form, english, german
):
    for language, reason in (("en", english), ("de", german)):
        _, response = client.post("/polls", data=form, headers={**HX, "Accept-Language": language})
        assert response.status == 422 and reason in response.text
    _, response = client.post("/polls", data=form, headers={**HX, "Accept": "application/json"})
    assert response.json["error"] == english and response.json["code"].isidentifier()


def test_a_wrong_control_link_says_so_in_plain_words_in_the_pages_language(client):
    code = make_poll(client)["code"]
    _, response = client.get(f"/p/{code}/admin?token=wrong", headers={"Accept-Language": "de"})
    assert response.status == 403
    assert "Dieser Link oder Admin-Token gibt keine Steuerung frei" in response.text
    assert "Authorization" not in response.text and "Bearer" not in response.text


def test_joining_by_a_typed_code_opens_the_voting_page(client):
    code = make_poll(client)["code"]
    _, response = client.get(f"/join?code=+{code.lower()}+", follow_redirects=False)
    assert (response.status, response.headers["location"]) == (303, f"/p/{code}")
    _, response = client.get("/join?code=ZZZZZZ", follow_redirects=False)
    assert response.status == 404 and "no event or poll with that code" in response.text


def test_the_voting_page_gives_the_browser_a_voter_id(client):
    code = make_poll(client)["code"]
    _, response = client.get(f"/p/{code}")
    assert response.status == 200
    cookie = response.headers["set-cookie"]
    assert re.match(rf"polls_voter={VOTER_ID.pattern};", cookie)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_user_text_is_escaped_everywhere(client):
    created = make_poll(client, question="<script>alert(1)</script>", options=("<b>bold</b>", "plain"))
    code = created["code"]
    pages = [client.get(path)[1] for path in (f"/p/{code}", f"/p/{code}/present")]
    for response in [*pages, admin_page(client, code, created["admin_token"])]:
        assert "<script>alert(1)</script>" not in response.text and "<b>bold</b>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize(
    "kind",
    [
        {"kind": "scale", "min_label": "<i>low</i>", "max_label": "<img src=x onerror=alert(1)>"},
        {"kind": "ranking"},
    ],
)
def test_user_text_is_escaped_in_every_kind(client, kind):
    body = {"question": "<script>alert(1)</script>", "options": ["<b>bold</b>", "plain"], **kind}
    _, created = client.post("/api/polls", json=body)
    code = created.json["code"]
    voter = {"Cookie": f"polls_voter={named_voter(client, 'escaped-' + kind['kind'])}"}
    answer = {"rating-1": "3", "rating-2": "4"} if kind["kind"] == "scale" else {"ranking": ["2", "1"]}
    client.post(f"/p/{code}/vote", data=answer, headers=voter)
    pages = [client.get(path, headers=voter)[1] for path in (f"/p/{code}", f"/p/{code}/present")]
    for response in [*pages, admin_page(client, code, created.json["admin_token"])]:
        assert response.status == 200
        for raw in ("<script>alert(1)", "<b>bold</b>", "<i>low</i>", "<img src=x"):
            assert raw not in response.text, (kind["kind"], raw)
        assert "&lt;b&gt;bold&lt;/b&gt;" in response.text


def test_a_vote_from_the_page_is_confirmed_and_can_be_changed(client):
    code = make_poll(client)["code"]
    cookie = {"Cookie": f"polls_voter={named_voter(client, 'browser-1')}"}
    _, response = client.post(f"/p/{code}/vote", data={"option": "1"}, headers={**HX, **cookie})
    assert response.status == 200
    assert "Vote received" in response.text and checked(response.text) == [1]
    _, response = client.post(f"/p/{code}/vote", data={"option": "2"}, headers={**HX, **cookie})
    assert checked(response.text) == [2]
    _, response = client.get(f"/api/polls/{code}/results")
    assert [o["votes"] for o in response.json["options"]] == [0, 1]
    _, response = client.get(f"/p/{code}", headers=cookie)
    assert checked(response.text) == [2] and "Change vote" in response.text


def test_an_empty_page_vote_is_refused_with_a_reason(client):
    code = make_poll(client)["code"]
    _, response = client.post(
        f"/p/{code}/vote",
        data={},
        headers={**HX, "Cookie": f"polls_voter={named_voter(client, 'browser-2')}"},
    )
    assert response.status == 422 and "Choose at least one option" in response.text


def test_a_page_vote_on_a_closed_poll_gets_the_ballot_back_shown_closed_with_the_ticks(client):
    created = make_poll(client)
    code = created["code"]
    client.post(f"/api/polls/{code}/close", headers={"Authorization": f"Bearer {created['admin_token']}"})
    cookie = {"Cookie": f"polls_voter={named_voter(client, 'late-phone')}"}
    _, response = client.post(f"/p/{code}/vote", data={"option": "2"}, headers={**HX, **cookie})
    assert response.status == 409
    assert 'id="ballot"' in response.text and 'data-status="closed"' in response.text
    assert "This poll is closed." in response.text and checked(response.text) == [2]


def test_a_refused_page_vote_from_a_client_that_asks_for_json_gets_the_json_error(client):
    code = make_poll(client)["code"]
    cookie = {"Cookie": f"polls_voter={named_voter(client, 'json-phone')}", "Accept": "application/json"}
    _, response = client.post(f"/p/{code}/vote", data={}, headers=cookie)
    assert response.status == 422 and response.json == {
        "error": "Choose at least one option.",
        "code": "no_choice",
    }


def test_the_present_page_shows_results_join_url_code_and_qr_and_listens_live(client):
    created = make_poll(client)
    code = created["code"]
    client.post(f"/api/polls/{code}/votes", json={"voter": named_voter(client, "phone-1"), "options": [2]})
    _, response = client.get(f"/p/{code}/present")
    assert response.status == 200
    assert f'hx-ws:connect="/p/{code}/live?lang=en"' in response.text
    assert (
        f"/p/{code}</p>" in response.text
        and "://" not in response.text.split("join-url")[1][:60]
        and f'class="join-code">{code}<' in response.text
    )
    assert "<svg" in response.text
    assert 'data-option="2" data-votes="1"' in response.text and "100%" in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_an_htmx_request_for_the_present_page_gets_the_results_fragment_alone(client):
    code = make_poll(client)["code"]
    _, response = client.get(f"/p/{code}/present", headers=HX)
    assert response.text.lstrip().startswith('<div class="results')
    assert "<html" not in response.text


def test_the_admin_page_needs_its_token_and_closes_and_reopens_the_poll(client):
    created = make_poll(client)
    code, token = created["code"], created["admin_token"]
    _, response = client.get(f"/p/{code}/admin?token=wrong")
    assert response.status == 403
    _, response = client.post(f"/p/{code}/status", data={"token": token, "status": "closed"}, headers=HX)
    assert response.status == 200 and "Reopen voting" in response.text
    _, response = client.get(f"/p/{code}")
    assert "This poll is closed" in response.text
    _, response = client.post(f"/p/{code}/status", data={"token": "nope", "status": "open"}, headers=HX)
    assert response.status == 403
    _, response = client.post(f"/p/{code}/status", data={"token": token, "status": "open"}, headers=HX)
    assert "Close voting" in response.text


@pytest.mark.parametrize(
    ("typed", "language", "reason"),
    [
        ("zzzzzz", "en", "There is no event or poll with that code."),
        ("K7 QH3", "de", "Zu diesem Code gibt es keine Veranstaltung und keine Umfrage."),
        ("not a code", "en", "There is no event or poll with that code."),
    ],
)
def test_a_mistyped_code_brings_the_home_page_back_with_the_code_as_typed_and_why(
    client, typed, language, reason
):
    _, response = client.get("/join", params={"code": typed}, headers={"Accept-Language": language})
    assert response.status == 404
    assert 'id="join-code"' in response.text and f'value="{typed}"' in response.text
    assert 'aria-invalid="true"' in response.text and reason in response.text


def test_the_join_qr_code_is_an_svg(client):
    code = make_poll(client)["code"]
    _, response = client.get(f"/p/{code}/qr.svg")
    assert response.status == 200 and response.headers["content-type"] == "image/svg+xml"
    assert response.text.startswith("<svg")


def test_an_unknown_page_is_a_friendly_404(client):
    _, response = client.get("/p/ZZZZZZ")
    assert response.status == 404
    assert "Not found" in response.text and "Back to the start" in response.text


@pytest.mark.parametrize(
    "cookie",
    [
        "bad id!",
        "browser-voter-0001",  # an id a browser made up itself, as before the server issued them
        "A" * 22 + "." + "B" * 22,  # the shape of an issued id, not signed by this server
    ],
)
def test_a_cookie_that_is_no_issued_voter_id_is_replaced_and_the_vote_counts(replicas, cookie):
    one, _ = replicas  # a browser of its own: the shared test client's cookie jar would send a valid cookie
    code = httpx.post(f"{one.url}/api/polls", json={"question": "Q?", "options": ["a", "b"]}).json()["code"]
    with httpx.Client(base_url=one.url, cookies={"polls_voter": cookie}) as browser:
        response = browser.post(f"/p/{code}/vote", data={"option": "1"}, headers=HX)
    assert response.status_code == 200
    issued = re.match(rf"polls_voter=({VOTER_ID.pattern});", response.headers["set-cookie"])
    assert issued and issued.group(1) != cookie


def test_the_home_pages_event_form_sets_each_questions_answers_and_who_sees_results_after_voting_by_default(
    client,
):
    _, home = client.get("/")
    assert home.text.count('<option value="after_vote" selected>') == 2  # two questions to start with
    form = {
        "title": "Retro",
        "question-1": "Q1?",
        "options-1": "a\nb\nc",
        "kind-1": "multiple",
        "max_choices-1": "2",
        "question-2": "Q2?",
        "options-2": "x\ny",
        "kind-2": "single",
        "visibility-2": "after_close",
        "question-3": "",  # left empty: no question
        "options-3": "",
    }
    _, created = client.post("/events", data=form, follow_redirects=False)
    assert created.status == 303
    code = created.headers["location"].split("/")[2]
    token = created.headers["location"].split("token=")[1]
    _, event = client.get(f"/api/events/{code}", headers={"Authorization": f"Bearer {token}"})
    assert [(q["kind"], q["max_choices"], q["visibility"]) for q in event.json["questions"]] == [
        ("multiple", 2, "after_vote"),
        ("single", 1, "after_close"),
    ]


def test_another_question_comes_with_everything_typed_so_far_kept(client):
    form = {
        "title": "Retro",
        "question-1": "Q1?",
        "options-1": "a\nb",
        "kind-1": "multiple",
        "max_choices-1": "2",
        "question-2": "Q2?",
        "options-2": "x\ny",
        "visibility-2": "presenter",
    }
    _, fragment = client.post("/events/form", data=form, headers=HX)
    assert fragment.status == 200 and "<html" not in fragment.text
    assert [n for n in (1, 2, 3, 4) if f'name="question-{n}"' in fragment.text] == [1, 2, 3]
    assert 'value="Q1?"' in fragment.text and ">a\nb</textarea>" in fragment.text
    assert re.search(r'name="kind-1" value="multiple"\s+checked', fragment.text)
    assert 'name="max_choices-1" inputmode="numeric" size="2" maxlength="2"' in fragment.text
    assert re.search(r'<option value="presenter"\s+selected>', fragment.text)
    new = re.search(r'<input id="event-question-3"[^>]*>', fragment.text)
    assert new is not None and 'value=""' in new[0] and "autofocus" in new[0]
    _, page = client.post("/events/form", data=form)  # without htmx: the whole home page
    assert page.status == 200 and "<html" in page.text and 'value="Retro"' in page.text


def test_the_home_page_lists_the_polls_and_events_this_browser_controls(replicas):
    one, _ = replicas  # a browser of its own, with its own cookies
    with httpx.Client(base_url=one.url, follow_redirects=True) as browser:
        assert "Your polls and events" not in browser.get("/").text
        poll = browser.post("/polls", data={"question": "Lunch where?", "options": "Here\nThere"})
        assert poll.status_code == 200 and "/admin" in str(poll.url)
        event = browser.post("/events", data={"title": "Friday retro", "questions": "Good?\nYes\nNo"})
        assert event.status_code == 200 and "/control" in str(event.url)
        home = browser.get("/").text
        assert "Your polls and events" in home
        assert home.index("Friday retro") < home.index("Lunch where?")  # newest first
        assert f'href="{poll.url.path}"' in home and f'href="{event.url.path}"' in home
    with httpx.Client(base_url=one.url) as stranger:
        assert "Your polls and events" not in stranger.get("/").text


def test_the_home_pages_forms_make_word_clouds_and_open_texts_with_their_settings(client):
    _, home = client.get("/")
    assert 'value="wordcloud"' in home.text and 'value="text"' in home.text
    form = {
        "title": "Retro",
        "question-1": "One word?",
        "kind-1": "wordcloud",
        "entries-1": "2",
        "entry_length-1": "15",
        "entry_filter-1": "on",
        "question-2": "What next?",
        "kind-2": "text",
        "text_length-2": "100",
        "moderation-2": "approve_first",
        "visibility-2": "always",
    }
    _, created = client.post("/events", data=form, follow_redirects=False)
    assert created.status == 303, created.text
    code, token = created.headers["location"].split("/")[2], created.headers["location"].split("token=")[1]
    _, event = client.get(f"/api/events/{code}", headers={"Authorization": f"Bearer {token}"})
    assert [(q["kind"], q["settings"]) for q in event.json["questions"]] == [
        ("wordcloud", {"entries": 2, "max_length": 15, "filter": True, "top": 100}),
        ("text", {"max_length": 100, "moderation": "approve_first", "filter": False}),
    ]
    _, poll = client.post(
        "/polls", data={"question": "Say it", "kind": "text", "text_length": "abc"}, headers=HX
    )
    assert poll.status == 422 and "The length of an answer must be a whole number from 1 to 280." in poll.text


def test_the_control_views_forms_add_and_edit_a_word_cloud_and_an_open_text(client):
    _, created = client.post("/api/events", json={"title": "Retro", "questions": []})
    event = created.json
    headers = {**HX, "X-Admin-Token": event["admin_token"]}
    add = {"question_text": "One word?", "kind": "wordcloud", "entries": "4", "entry_length": "12"}
    _, added = client.post(f"/e/{event['code']}/control/add", data=add, headers=headers)
    assert added.status == 200, added.text
    _, read = client.get(
        f"/api/events/{event['code']}", headers={"Authorization": f"Bearer {event['admin_token']}"}
    )
    question = read.json["questions"][0]
    assert (question["kind"], question["settings"]["entries"], question["settings"]["max_length"]) == (
        "wordcloud",
        4,
        12,
    )
    edit = {
        "question": question["code"],
        "question_text": "What next?",
        "kind": "text",
        "text_length": "90",
        "moderation": "approve_first",
        "text_filter": "on",
    }
    _, edited = client.post(f"/e/{event['code']}/control/edit", data=edit, headers=headers)
    assert edited.status == 200, edited.text
    assert 'name="moderation"' in edited.text and '<option value="approve_first" selected>' in edited.text
    _, read = client.get(
        f"/api/events/{event['code']}", headers={"Authorization": f"Bearer {event['admin_token']}"}
    )
    assert read.json["questions"][0]["settings"] == {
        "max_length": 90,
        "moderation": "approve_first",
        "filter": True,
    }
