"""Autosave: the step's fields, as typed, saved a moment after typing stops
(static/js/intake-autosave.js posts them; the browser journey is in
test_intake_browser.py). Raw values are kept whatever the validation says;
the same ownership check as the step; CSRF protected; an expired session
does not lose the step."""

from __future__ import annotations

import re

import pytest
from conftest import other_app
from intake_helpers import VALID_STEPS, csrf_token, sign_in

from core.extensions import db
from proposals.models import Proposal


@pytest.fixture
def applicant(make_user):
    return make_user("applicant", email="autosave@example.jp")


@pytest.fixture
def draft(client, applicant):
    sign_in(client, applicant)
    response = client.post("/proposals/new", data={"organisation": "new"})
    return int(response.headers["Location"].split("/")[2])


def test_autosave_keeps_half_finished_input_as_typed(client, draft):
    typed = {"name": "ＮＰＯ法人たか", "corporate_number": "12345", "postal_code": "216-00"}
    response = client.post(f"/proposals/{draft}/step/1/autosave", data=typed)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["ok"] is True and re.fullmatch(r"\d\d:\d\d", answer["saved_at"])
    proposal = db.session.get(Proposal, draft)
    saved = proposal.draft_data["steps"]["1"]
    assert {k: saved[k] for k in typed} == typed  # raw, not normalised, not refused
    assert proposal.organisation is None  # an unfinished step is not applied
    assert proposal.draft_data["save_ids"]["1"] == answer["save_id"]
    page = client.get(f"/proposals/{draft}/step/1").get_data(as_text=True)  # reopened later
    for value in ("NPO法人たか", "12345", "216-00"):  # names are shown NFKC-normalised, as after a button
        assert f'value="{value}"' in page
    assert 'class="error-message"' not in page  # no errors until the person presses a button


def test_autosave_of_a_complete_step_is_applied_like_the_buttons(client, draft):
    response = client.post(f"/proposals/{draft}/step/3/autosave", data=VALID_STEPS[3])
    assert response.status_code == 200
    proposal = db.session.get(Proposal, draft)
    assert proposal.title == VALID_STEPS[3]["title"]  # the review shows what the step page shows
    assert proposal.draft_step == 3


def test_autosave_uses_the_scripts_save_id_and_buttons_get_their_own(client, draft):
    answer = client.post(f"/proposals/{draft}/step/2/autosave",
                         data={"contact_name": "途中", "autosave_id": "0123456789abcdef"}).get_json()
    assert answer["save_id"] == "0123456789abcdef"
    page = client.get(f"/proposals/{draft}/step/2").get_data(as_text=True)
    assert 'data-save-id="0123456789abcdef"' in page
    client.post(f"/proposals/{draft}/step/2", data=VALID_STEPS[2])
    button_id = db.session.get(Proposal, draft).draft_data["save_ids"]["2"]
    assert button_id and button_id != "0123456789abcdef"
    bad = client.post(f"/proposals/{draft}/step/2/autosave", data={"autosave_id": '"><script>'}).get_json()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", bad["save_id"])  # only safe ids are taken


def test_an_autosave_that_has_not_seen_a_button_save_is_refused(client, draft):
    """E.g. an autosave still on its way when the button was pressed, or another tab."""
    first = client.post(f"/proposals/{draft}/step/3/autosave",
                        data={"title": "途中", "autosave_id": "aaaaaaaaaaaa", "autosave_base": ""})
    assert first.status_code == 200
    follow = client.post(f"/proposals/{draft}/step/3/autosave",
                         data={"title": "途中2", "autosave_id": "bbbbbbbbbbbb", "autosave_base": "aaaaaaaaaaaa"})
    assert follow.status_code == 200
    client.post(f"/proposals/{draft}/step/3", data=VALID_STEPS[3])  # the button, with the whole step
    late = client.post(f"/proposals/{draft}/step/3/autosave",
                       data={"title": "古い途中", "autosave_id": "cccccccccccc", "autosave_base": "bbbbbbbbbbbb"})
    assert late.status_code == 409 and late.get_json()["error"] == "conflict"
    proposal = db.session.get(Proposal, draft)
    assert proposal.draft_data["steps"]["3"]["title"] == proposal.title == VALID_STEPS[3]["title"]
    button_id = proposal.draft_data["save_ids"]["3"]
    page = client.get(f"/proposals/{draft}/step/3").get_data(as_text=True)
    assert f'data-save-id="{button_id}"' in page
    assert client.post(f"/proposals/{draft}/step/3/autosave",  # a page that has seen it
                       data={"title": "続き", "autosave_base": button_id}).status_code == 200


def test_autosave_refuses_another_persons_draft(app, draft, make_user):
    before = dict(db.session.get(Proposal, draft).draft_data)
    other = app.test_client()
    sign_in(other, make_user("applicant"))
    response = other.post(f"/proposals/{draft}/step/1/autosave", data={"name": "乗っ取り"})
    assert response.status_code == 404 and response.get_json()["ok"] is False
    stranger = app.test_client()  # not signed in, no draft of theirs in this browser
    assert stranger.post(f"/proposals/{draft}/step/1/autosave", data={"name": "乗っ取り"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Proposal, draft).draft_data == before


@pytest.mark.parametrize("step", [0, 6, 7])
def test_autosave_only_for_the_form_steps(client, draft, step):
    assert client.post(f"/proposals/{draft}/step/{step}/autosave", data={"name": "x"}).status_code == 404


def test_autosave_of_a_submitted_proposal_is_refused(client, applicant, make_proposal):
    proposal = make_proposal(applicant=applicant)
    sign_in(client, applicant)
    assert client.post(f"/proposals/{proposal.id}/step/3/autosave", data={"title": "後から"}).status_code == 404
    assert db.session.get(Proposal, proposal.id).title != "後から"


def test_autosave_works_for_an_anonymous_draft_in_the_same_browser(client):
    response = client.post("/proposals/new", data={"email": "anon-autosave@example.jp"})
    draft = int(response.headers["Location"].split("/")[2])
    assert client.post(f"/proposals/{draft}/step/3/autosave", data={"title": "匿名の途中"}).status_code == 200
    assert db.session.get(Proposal, draft).draft_data["steps"]["3"]["title"] == "匿名の途中"


def test_autosave_is_csrf_protected(make_user):
    with other_app(WTF_CSRF_ENABLED=True) as application:
        client = application.test_client()
        sign_in(client, make_user("applicant"))
        draft = int(client.post("/proposals/new", data={"organisation": "new", "csrf_token": csrf_token(
            client.get("/proposals/new").get_data(as_text=True))}).headers["Location"].split("/")[2])
        html = client.get(f"/proposals/{draft}/step/3").get_data(as_text=True)
        assert f'data-autosave-url="/proposals/{draft}/step/3/autosave"' in html
        assert "/static/js/intake-autosave.js" in html
        refused = client.post(f"/proposals/{draft}/step/3/autosave", data={"title": "トークンなし"})
        assert refused.status_code == 400 and refused.get_json() == {"ok": False, "error": "csrf"}
        assert "3" not in (db.session.get(Proposal, draft).draft_data.get("steps") or {})
        saved = client.post(f"/proposals/{draft}/step/3/autosave", data={"title": "トークンあり", "csrf_token": csrf_token(html)})
        assert saved.status_code == 200
        db.session.expire_all()
        assert db.session.get(Proposal, draft).draft_data["steps"]["3"]["title"] == "トークンあり"


def test_an_expired_session_does_not_lose_the_step(make_user):
    """Before autosave, a button pressed after the session had gone showed the CSRF error page
    and everything typed on the page since the last button was lost. Now the page's text was
    autosaved while it was typed, the error page leads back to the step, and the step shows it."""
    with other_app(WTF_CSRF_ENABLED=True) as application:
        user = make_user("applicant")  # made in this app's session (see other_app)
        client = application.test_client()
        sign_in(client, user)
        draft = int(client.post("/proposals/new", data={"organisation": "new", "csrf_token": csrf_token(
            client.get("/proposals/new").get_data(as_text=True))}).headers["Location"].split("/")[2])
        html = client.get(f"/proposals/{draft}/step/3").get_data(as_text=True)
        typed = {**VALID_STEPS[3], "issue": "ここまで書いた課題の説明"}
        assert client.post(f"/proposals/{draft}/step/3/autosave",
                           data={**typed, "csrf_token": csrf_token(html)}).status_code == 200

        client.delete_cookie("session")  # the session expires while the page stays open
        response = client.post(f"/proposals/{draft}/step/3", data={**typed, "csrf_token": csrf_token(html)})
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "入力した内容は失われていません" in page
        assert f'href="/proposals/{draft}/step/3"' in page  # back to the page, not to the top

        sign_in(client, user)  # signed in again (the emailed link)
        page = client.get(f"/proposals/{draft}/step/3").get_data(as_text=True)
        assert "ここまで書いた課題の説明" in page
