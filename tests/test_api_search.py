"""The API's search and similar proposals (issue 11, item 7): `q` on the
proposals listing (ranked, within what the token may see) and
GET /api/v1/proposals/{reference}/similar with the pages' visibility."""

from __future__ import annotations

from api_helpers import Api, token_for
from conftest import department_id
from public_helpers import place

from core.audit import Actor
from core.extensions import db
from proposals import operations


def _published_and_hidden(make_proposal):
    shown = place(make_proposal, title="高齢者のスマホ相談会", summary="シニアにスマホの使い方を教えます。")
    hidden = place(make_proposal, title="お年寄りのスマホ教室", summary="スマホの使い方を教えます。", published=False)
    place(make_proposal, title="竹林の整備", summary="里山を守ります。")
    return shown, hidden


def test_applicants_see_similar_published_proposals_of_their_own_proposal(client, make_proposal):
    shown, hidden = _published_and_hidden(make_proposal)
    mine = make_proposal(title="シニア向けスマホ講座", summary="スマホの操作を学びます。")
    api = Api(client, token_for(mine.created_by))
    answer = api.get(f"/api/v1/proposals/{mine.reference}/similar")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["scope"] == "published" and body["reference"] == mine.reference
    references = [item["reference"] for item in body["items"]]
    assert references[0] == shown.reference and hidden.reference not in references
    first = body["items"][0]
    assert "スマホ" in first["shared_words"] and 0 < first["score"] <= 1
    assert first["url"].endswith(f"/catalogue/{shown.reference}") or shown.reference in first["url"]
    assert "state" not in first and "id" not in first and "decision_reason" not in first

    # Another applicant's proposal is not theirs to compare: 404, as for every proposal they may not see.
    assert api.get(f"/api/v1/proposals/{shown.reference}/similar").status_code == 404
    assert api.get("/api/v1/proposals/KW-1999-9999/similar").status_code == 404


def test_staff_see_every_similar_proposal_with_state_score_and_shared_words(client, make_proposal, make_user):
    shown, hidden = _published_and_hidden(make_proposal)
    mine = make_proposal(title="シニア向けスマホ講座", summary="スマホの操作を学びます。")
    window = Api(client, token_for(make_user("window")))
    body = window.get(f"/api/v1/proposals/{mine.reference}/similar?limit=2").get_json()
    assert body["scope"] == "staff" and len(body["items"]) == 2
    assert {item["reference"] for item in body["items"]} == {shown.reference, hidden.reference}
    assert all(item["state"] == "adopted" and item["shared_words"] and item["id"] for item in body["items"])
    unpublished = next(item for item in body["items"] if item["reference"] == hidden.reference)
    assert "url" not in unpublished and unpublished["decision_reason"] == hidden.decision_reason

    # A department sees the proposals it holds only: another one is not found.
    holder = make_user("department_staff", department="ward-miyamae")
    department = Api(client, token_for(holder))
    assert department.get(f"/api/v1/proposals/{mine.reference}/similar").status_code == 404
    operations.assign(mine, department_id("ward-miyamae"), [], Actor.of_user(make_user("window")))
    db.session.commit()
    assert department.get(f"/api/v1/proposals/{mine.reference}/similar").get_json()["scope"] == "staff"

    bad = window.get(f"/api/v1/proposals/{mine.reference}/similar?limit=50")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "limit"


def test_q_ranks_the_listing_within_what_the_token_may_see(client, make_proposal, make_user):
    body_match = make_proposal(title="地域の居場所", summary="高齢者サロンで認知症カフェも開きます。")
    title_match = make_proposal(title="認知症カフェの開設", summary="家族が集える場です。")
    make_proposal(title="竹林の整備", summary="里山を守ります。")
    window = Api(client, token_for(make_user("window")))
    page = window.get("/api/v1/proposals?q=認知症カフェ").get_json()
    assert [p["reference"] for p in page["items"]] == [title_match.reference, body_match.reference]
    assert page["next_cursor"] is None

    first = window.get("/api/v1/proposals?q=認知症カフェ&limit=1")
    assert [p["reference"] for p in first.get_json()["items"]] == [title_match.reference]
    assert 'rel="next"' in first.headers["Link"]
    cursor = first.get_json()["next_cursor"]
    second = window.get(f"/api/v1/proposals?q=認知症カフェ&limit=1&cursor={cursor}").get_json()
    assert [p["reference"] for p in second["items"]] == [body_match.reference] and second["next_cursor"] is None

    # An applicant searches their own proposals only.
    applicant = Api(client, token_for(body_match.created_by))
    assert [p["reference"] for p in applicant.get("/api/v1/proposals?q=認知症カフェ").get_json()["items"]] == [
        body_match.reference]
    too_long = window.get("/api/v1/proposals?q=" + "あ" * 101)
    assert too_long.status_code == 422 and too_long.get_json()["errors"][0]["field"] == "q"
