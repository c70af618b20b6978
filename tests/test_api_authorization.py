"""Authorization per resource: a token reaches what its user reaches on the
pages, no more. Departments see and answer only their own assignments;
applicants see only their organisations' proposals; roles are checked per
resource; scopes (read / act), expiry and revocation hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from api_helpers import Api, token_for
from conftest import department_id

from api.models import ApiToken
from core.audit import Actor
from core.columns import utcnow
from core.extensions import db
from proposals import operations
from proposals.models import Assignment, State


@pytest.fixture
def assigned(make_proposal, make_user):
    """A proposal assigned to 宮前区役所 (lead) and 健康福祉局 (co)."""
    proposal = make_proposal("triage")
    window = make_user("window")
    operations.assign(proposal, department_id("ward-miyamae"), [department_id("kenko-fukushi")], Actor.of_user(window))
    db.session.commit()
    return proposal


def _assignment(proposal, code):
    return db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                         Assignment.department_id == department_id(code)))


def test_a_department_token_cannot_see_or_act_on_another_departments_assignment(client, make_user, assigned):
    lead = _assignment(assigned, "ward-miyamae")
    other = Api(client, token_for(make_user("department_staff", department="ward-kawasaki")))
    assert other.get("/api/v1/assignments").get_json()["items"] == []
    assert other.get(f"/api/v1/assignments/{lead.id}").status_code == 404
    refused = other.post(f"/api/v1/assignments/{lead.id}/acknowledge", json={}, headers={"If-Match": '"x"'})
    assert refused.status_code == 404 and refused.headers["Content-Type"] == "application/problem+json"
    assert other.get(f"/api/v1/proposals/{assigned.id}").status_code == 404
    db.session.refresh(lead)
    assert lead.acknowledged_at is None

    # The co-department sees its own assignment, and may not decide for the lead.
    co = _assignment(assigned, "kenko-fukushi")
    co_api = Api(client, token_for(make_user("department_staff", department="kenko-fukushi")))
    assert [a["id"] for a in co_api.get("/api/v1/assignments").get_json()["items"]] == [co.id]
    decided = co_api.act(f"/api/v1/assignments/{co.id}/adopt", json={"text": "採択"}, proposal_id=assigned.id)
    assert decided.status_code == 409 and "主担当" in decided.get_json()["detail"]
    assert co_api.post(f"/api/v1/assignments/{lead.id}/adopt", json={"text": "採択"},
                       headers={"If-Match": decided.request.headers["If-Match"]}).status_code == 404
    db.session.refresh(assigned)
    assert assigned.state == State.ASSIGNED

    own = Api(client, token_for(make_user("department_staff", department="ward-miyamae")))
    assert own.act(f"/api/v1/assignments/{lead.id}/acknowledge", json={}, proposal_id=assigned.id).status_code == 200


def test_an_applicant_token_sees_only_its_organisations(client, make_user, make_proposal):
    mine = make_proposal("triage")
    theirs = make_proposal("triage")
    draft_of_theirs = make_proposal("draft")
    api = Api(client, token_for(mine.created_by))
    listed = api.get("/api/v1/proposals").get_json()["items"]
    assert [p["id"] for p in listed] == [mine.id]
    for other in (theirs, draft_of_theirs):
        assert api.get(f"/api/v1/proposals/{other.id}").status_code == 404
        assert api.get(f"/api/v1/proposals/{other.id}/timeline").status_code == 404
        assert api.get(f"/api/v1/proposals/{other.id}/messages").status_code == 404
        assert api.post(f"/api/v1/proposals/{other.id}/withdraw", json={},
                        headers={"If-Match": '"x"'}).status_code == 404
        assert api.post(f"/api/v1/proposals/{other.id}/messages", json={"body": "こんにちは"}).status_code == 404
    assert api.patch(f"/api/v1/proposals/{draft_of_theirs.id}", json={}, headers={"If-Match": '"x"'}).status_code == 404
    # A fellow member of the organisation sees it too (the reach is the organisation's).
    colleague = make_user("applicant")
    from core.models import Membership

    db.session.add(Membership(user=colleague, organisation_id=mine.organisation_id))
    db.session.commit()
    assert Api(client, token_for(colleague)).get(f"/api/v1/proposals/{mine.id}").status_code == 200


def test_roles_are_checked_per_resource(client, make_user, make_proposal):
    proposal = make_proposal("triage")
    applicant = Api(client, token_for(proposal.created_by))
    department = Api(client, token_for(make_user("department_staff", department="ward-miyamae")))
    window = Api(client, token_for(make_user("window")))
    assert applicant.get("/api/v1/triage").status_code == 403
    assert department.get("/api/v1/triage").status_code == 403
    assert applicant.post(f"/api/v1/proposals/{proposal.id}/confirm", headers={"If-Match": '"x"'}).status_code == 403
    assert department.post(f"/api/v1/proposals/{proposal.id}/confirm", headers={"If-Match": '"x"'}).status_code == 403
    assert window.get("/api/v1/assignments").status_code == 403
    assert applicant.get("/api/v1/assignments").status_code == 403
    assert window.post("/api/v1/proposals", json={}).status_code == 403  # drafts are the applicants'
    # Staff cannot withdraw for the applicant through the applicant's resource.
    assert window.post(f"/api/v1/proposals/{proposal.id}/withdraw", json={},
                       headers={"If-Match": '"x"'}).status_code == 403


def test_scopes_expiry_and_revocation(client, make_user, make_proposal):
    proposal = make_proposal("triage")
    reader = Api(client, token_for(proposal.created_by, scopes=("read",)))
    assert reader.get(f"/api/v1/proposals/{proposal.id}").status_code == 200
    refused = reader.act(f"/api/v1/proposals/{proposal.id}/withdraw", json={}, proposal_id=proposal.id)
    assert refused.status_code == 403 and 'scope="act"' in refused.headers["WWW-Authenticate"]

    token = token_for(proposal.created_by)
    api = Api(client, token)
    row = db.session.scalar(sa.select(ApiToken).order_by(ApiToken.id.desc()))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    expired = api.get(f"/api/v1/proposals/{proposal.id}")
    assert expired.status_code == 401 and expired.headers["WWW-Authenticate"].startswith("Bearer")

    token = token_for(proposal.created_by)
    api = Api(client, token)
    assert api.get(f"/api/v1/proposals/{proposal.id}").status_code == 200
    row = db.session.scalar(sa.select(ApiToken).order_by(ApiToken.id.desc()))
    row.revoked_at = utcnow()
    db.session.commit()
    assert api.get(f"/api/v1/proposals/{proposal.id}").status_code == 401
    assert Api(client, None).get("/api/v1/proposals").status_code == 401


def test_webhooks_belong_to_their_department_or_organisation(client, make_user, make_proposal):
    miyamae = Api(client, token_for(make_user("department_staff", department="ward-miyamae")))
    kawasaki = Api(client, token_for(make_user("department_staff", department="ward-kawasaki")))
    created = miyamae.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["assigned"]})
    assert created.status_code == 201 and created.get_json()["owner"] == "ward-miyamae"
    hook = created.get_json()["id"]
    assert kawasaki.get("/api/v1/webhooks").get_json()["items"] == []
    assert kawasaki.get(f"/api/v1/webhooks/{hook}/deliveries").status_code == 404
    assert kawasaki.delete(f"/api/v1/webhooks/{hook}").status_code == 404
    proposal = make_proposal("triage")
    applicant = Api(client, token_for(proposal.created_by))
    foreign = applicant.post("/api/v1/webhooks", json={"url": "https://example.org/h", "events": ["status_changed"],
                                                       "organisation_id": proposal.organisation_id + 1000})
    assert foreign.status_code == 422
    own = applicant.post("/api/v1/webhooks", json={"url": "https://example.org/h", "events": ["status_changed"]})
    assert own.status_code == 201 and own.get_json()["owner"] == f"organisation:{proposal.organisation_id}"
    assert miyamae.get("/api/v1/webhooks").get_json()["items"][0]["id"] == hook
