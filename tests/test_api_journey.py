"""The whole journey by API alone: an applicant token creates, fills and
submits a proposal; a window token confirms the routing; the lead
department's token acknowledges and adopts it; the applicant reads the
outcome. Every change goes through the lifecycle (its events are there)."""

from __future__ import annotations

import sqlalchemy as sa
from api_helpers import SECTIONS, Api, token_for

from api.models import ApiToken
from core.extensions import db
from core.models import Event
from proposals.models import Proposal, State
from routing.seed import seed_routing


def _cli_token(app, email: str, scope: str) -> str:
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--user", email, "--scope", scope, "--days", "7"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


def test_the_whole_journey_by_api_alone(app, client, make_user):
    seed_routing()
    db.session.commit()
    applicant = make_user("applicant")
    window = make_user("window")

    # The applicant's token comes from `flask tokens create`: personal, scoped, expiring, hashed.
    applicant_api = Api(client, _cli_token(app, applicant.email, "read,act"))
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == applicant.id))
    assert row.scopes == "read,act" and row.expires_at is not None and row.token_hash != applicant_api.token

    created = applicant_api.post("/api/v1/proposals", json={"content": SECTIONS["content"]},
                                 headers={"Idempotency-Key": "draft-1"})
    assert created.status_code == 201, created.get_json()
    proposal_id = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"/api/v1/proposals/{proposal_id}")
    assert {m["field"].split(".")[0] for m in created.get_json()["missing"]} == {"organisation", "contact", "area", "plan"}
    # A retry with the same key creates nothing new.
    again = applicant_api.post("/api/v1/proposals", json={"content": SECTIONS["content"]},
                               headers={"Idempotency-Key": "draft-1"})
    assert again.status_code == 201 and again.get_json()["id"] == proposal_id
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 1

    etag = created.headers["ETag"]
    rest = {name: section for name, section in SECTIONS.items() if name != "content"}
    filled = applicant_api.patch(f"/api/v1/proposals/{proposal_id}", json=rest, headers={"If-Match": etag})
    assert filled.status_code == 200, filled.get_json()
    assert filled.get_json()["missing"] == [] and filled.headers["ETag"] != etag
    assert filled.get_json()["organisation"]["name"] == "NPO法人たかつ子ども応援団"  # full-width normalised as on the page

    submitted = applicant_api.post(f"/api/v1/proposals/{proposal_id}/submit", json={"consent_privacy": True},
                                   headers={"If-Match": filled.headers["ETag"]})
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["reference"].startswith("KW-") and submitted.get_json()["status"] == "received"
    assert submitted.get_json()["state"] is None  # applicants see the public status only

    window_api = Api(client, token_for(window))
    queue = window_api.get("/api/v1/triage").get_json()
    assert [p["id"] for p in queue["items"]] == [proposal_id]
    confirmed = window_api.act(f"/api/v1/proposals/{proposal_id}/confirm", proposal_id=proposal_id)
    assert confirmed.status_code == 200, confirmed.get_json()
    proposal = db.session.get(Proposal, proposal_id)
    assert proposal.state == State.ASSIGNED
    lead = proposal.lead_department

    department = make_user("department_staff", department=lead.code)
    department_api = Api(client, token_for(department))
    assignments = department_api.get("/api/v1/assignments").get_json()["items"]
    lead_assignment = next(a for a in assignments if a["role"] == "lead")
    assert lead_assignment["ack_due_on"] and lead_assignment["answer_due_on"]
    assignment_id = lead_assignment["id"]
    acknowledged = department_api.act(f"/api/v1/assignments/{assignment_id}/acknowledge", json={"note": "検討します"},
                                      proposal_id=proposal_id)
    assert acknowledged.status_code == 200, acknowledged.get_json()
    adoption = {"text": "採択します。来年度から会場を提供します。", "budget_year": 2027,
                "agreement": True, "next_steps": "協定の準備"}
    # A co-department has not given its opinion: the lead must say it decides without it, as on the page.
    waiting = department_api.act(f"/api/v1/assignments/{assignment_id}/adopt", json=adoption, proposal_id=proposal_id)
    assert waiting.status_code == 409 and "意見がないまま" in waiting.get_json()["detail"]
    adopted = department_api.act(f"/api/v1/assignments/{assignment_id}/adopt",
                                 json={**adoption, "without_opinions": True}, proposal_id=proposal_id)
    assert adopted.status_code == 200, adopted.get_json()

    status = applicant_api.get(f"/api/v1/proposals/{proposal_id}").get_json()
    assert status["status"] == "adopted"
    timeline = applicant_api.get(f"/api/v1/proposals/{proposal_id}/timeline").get_json()["items"]
    assert timeline[-1]["status_to"] == "adopted" and timeline[-1]["comment"].startswith("採択します")
    kinds = set(db.session.scalars(sa.select(Event.kind).where(Event.proposal_id == proposal_id)))
    assert {"draft_created", "state_changed", "routing_confirmed", "assignment_acknowledged"} <= kinds
    actors = set(db.session.scalars(sa.select(Event.actor_user_id).where(Event.proposal_id == proposal_id)))
    assert {applicant.id, window.id, department.id} <= actors
