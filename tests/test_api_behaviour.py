"""What a client can rely on: problem details in Japanese or English,
If-Match on every state change (428 without it, 412 on a lost update),
idempotency keys, cursor pagination, rate limits with Retry-After."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from api_helpers import SECTIONS, Api, token_for
from conftest import IS_POSTGRES, other_app

from core.extensions import db
from proposals.models import Proposal, State


def test_validation_errors_are_problem_details_in_the_clients_language(client, make_user):
    applicant = make_user("applicant")
    token = token_for(applicant)
    body = {"content": {"title": 5}, "area": {"scope": "ward", "wards": [], "themes": ["a", "b", "c", "d"]}}
    ja = Api(client, token, "ja").post("/api/v1/proposals", json=body)
    assert ja.status_code == 422 and ja.headers["Content-Type"] == "application/problem+json"
    problem = ja.get_json()
    assert problem["status"] == 422 and problem["title"] == "入力内容に誤りがあります"
    assert problem["errors"] == [{"field": "content.title", "message": "文字列で送ってください。"}]
    en = Api(client, token, "en-GB,en;q=0.9").post("/api/v1/proposals", json=body).get_json()
    assert en["title"] == "The input has errors" and en["errors"][0]["message"] == "Not a valid string."

    # The form's own checks (the same as the page's), in either language.
    body = {"area": {"scope": "ward", "wards": [], "themes": ["welfare-elderly", "welfare-disability", "community-care", "health"], "stage": "seed"}}
    ja = Api(client, token, "ja").post("/api/v1/proposals", json=body).get_json()
    fields = {e["field"]: e["message"] for e in ja["errors"]}
    assert "area.themes" in fields and "3つまで" in fields["area.themes"]
    en = Api(client, token, "en").post("/api/v1/proposals", json=body).get_json()
    assert "at most three" in {e["field"]: e["message"] for e in en["errors"]}["area.themes"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0

    unauthorised = Api(client, None, "en").get("/api/v1/proposals")
    assert unauthorised.status_code == 401 and unauthorised.get_json()["title"] == "Authentication is required"


def test_nul_characters_never_reach_the_database(client, make_user):
    """PostgreSQL refuses NUL in text: JSON strings lose it (as form fields do), and a
    NUL in a path is a 400 problem, never a 500."""
    api = Api(client, token_for(make_user("applicant")))
    content = {**SECTIONS["content"], "title": "子ども\x00食堂"}
    created = api.post("/api/v1/proposals", json={"content": content})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["title"] == "子ども食堂"
    assert api.get("/api/v1/catalogue/KW-2026-%00").status_code in (400, 404)


def test_state_changes_need_the_current_etag(client, make_proposal, make_user):
    proposal = make_proposal("triage")
    api = Api(client, token_for(proposal.created_by))
    read = api.get(f"/api/v1/proposals/{proposal.id}")
    etag = read.headers["ETag"]
    assert read.get_json()["version"] == etag
    cached = api.get(f"/api/v1/proposals/{proposal.id}", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.headers["ETag"] == etag and not cached.data

    missing = api.post(f"/api/v1/proposals/{proposal.id}/withdraw", json={})
    assert missing.status_code == 428 and missing.headers["Content-Type"] == "application/problem+json"
    # Someone else changes the proposal after we read it (the window asks a question).
    from core.audit import Actor
    from proposals import operations

    operations.transition(proposal.id, State.INFO_REQUESTED, Actor.of_user(make_user("window")), comment="予算は？")
    db.session.commit()
    lost = api.post(f"/api/v1/proposals/{proposal.id}/withdraw", json={}, headers={"If-Match": etag})
    assert lost.status_code == 412 and lost.headers["ETag"] != etag
    db.session.refresh(proposal)
    assert proposal.state == State.INFO_REQUESTED
    fresh = api.post(f"/api/v1/proposals/{proposal.id}/withdraw", json={"comment": "別の方法で進めます"},
                     headers={"If-Match": lost.headers["ETag"]})
    assert fresh.status_code == 200 and fresh.get_json()["status"] == "withdrawn"
    again = api.post(f"/api/v1/proposals/{proposal.id}/withdraw", json={}, headers={"If-Match": fresh.headers["ETag"]})
    assert again.status_code == 409 and again.get_json()["detail"]


def test_drafts_too_change_only_with_the_current_etag(client, make_user):
    api = Api(client, token_for(make_user("applicant")))
    created = api.post("/api/v1/proposals", json={"content": SECTIONS["content"]})
    proposal_id, first = created.get_json()["id"], created.headers["ETag"]
    second = api.patch(f"/api/v1/proposals/{proposal_id}", json={"contact": SECTIONS["contact"]},
                       headers={"If-Match": first})
    assert second.status_code == 200 and second.headers["ETag"] != first
    stale = api.patch(f"/api/v1/proposals/{proposal_id}", json={"contact": SECTIONS["contact"]},
                      headers={"If-Match": first})
    assert stale.status_code == 412
    incomplete = api.post(f"/api/v1/proposals/{proposal_id}/submit", json={"consent_privacy": True},
                          headers={"If-Match": second.headers["ETag"]})
    assert incomplete.status_code == 422
    assert {e["field"] for e in incomplete.get_json()["errors"]} == {"organisation", "area", "plan"}


def test_an_idempotency_key_is_not_reused_for_another_request(client, make_user):
    api = Api(client, token_for(make_user("applicant")))
    first = api.post("/api/v1/proposals", json={}, headers={"Idempotency-Key": "k1"})
    assert first.status_code == 201
    other = api.post("/api/v1/proposals", json={"content": {"title": "別"}}, headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 1

    # A create that failed leaves the key free; a key still being worked on answers 409.
    assert api.post("/api/v1/proposals", json={"content": {"title": 5}},
                    headers={"Idempotency-Key": "k2"}).status_code == 422
    assert api.post("/api/v1/proposals", json={}, headers={"Idempotency-Key": "k2"}).status_code == 201
    from api.models import ApiToken, IdempotencyKey

    token_id = db.session.scalar(sa.select(ApiToken.id))
    db.session.add(IdempotencyKey(token_id=token_id, key="k3", fingerprint="x", status=0, body={}))
    db.session.commit()
    busy = api.post("/api/v1/proposals", json={}, headers={"Idempotency-Key": "k3"})
    assert busy.status_code in (409, 422)
    row = db.session.scalar(sa.select(IdempotencyKey).where(IdempotencyKey.key == "k3"))
    row.fingerprint = db.session.scalar(sa.select(IdempotencyKey.fingerprint).where(IdempotencyKey.key == "k2"))
    db.session.commit()
    busy = api.post("/api/v1/proposals", json={}, headers={"Idempotency-Key": "k3"})
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 2


def test_cursor_pagination(client, make_user, make_proposal):
    applicant = make_user("applicant")
    ids = [make_proposal("triage", applicant=applicant).id for _ in range(5)]
    api = Api(client, token_for(applicant))
    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/proposals", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})})
        body = page.get_json()
        seen += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            assert "Link" not in page.headers
            break
        assert 'rel="next"' in page.headers["Link"]
    assert seen == sorted(ids, reverse=True)
    bad = api.get("/api/v1/proposals", query_string={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.headers["Content-Type"] == "application/problem+json"


def test_rate_limit_answers_429_with_retry_after(make_user):
    with other_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute") as limited:
        user = make_user("applicant")
        api = Api(limited.test_client(), token_for(user))
        statuses = [api.get("/api/v1/proposals").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = api.get("/api/v1/proposals")
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert 0 < int(refused.headers["Retry-After"]) <= 60
        # Another token has its own allowance.
        assert Api(limited.test_client(), token_for(user)).get("/api/v1/proposals").status_code == 200


@pytest.mark.skipif(not IS_POSTGRES, reason="row locks need PostgreSQL (CI runs this on PostgreSQL)")
def test_two_clients_with_the_same_etag_at_once_one_wins(live_server, make_proposal, make_user):
    """A lost update is impossible: two decisions sent at the same moment with
    the same ETag are serialised by the row lock; the second gets 412."""
    import json
    import threading
    import urllib.error
    import urllib.request

    proposal = make_proposal("triage")
    api_token = token_for(proposal.created_by)
    url = f"{live_server.url}/api/v1/proposals/{proposal.id}"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {api_token}"})) as r:
        etag = r.headers["ETag"]
    barrier, statuses = threading.Barrier(2), []

    def withdraw():
        request = urllib.request.Request(f"{url}/withdraw", method="POST", data=json.dumps({}).encode(), headers={
            "Authorization": f"Bearer {api_token}", "If-Match": etag, "Content-Type": "application/json"})
        barrier.wait(timeout=10)
        try:
            with urllib.request.urlopen(request) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=withdraw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [200, 412]
    from core.models import Event

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.proposal_id == proposal.id, Event.to_state == State.WITHDRAWN.value)) == 1
