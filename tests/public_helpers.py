"""Test setup for the public room's tests: proposals placed in a state with
the fields the public pages read (test setup only; the app itself changes
states through proposals.operations)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from conftest import department_id

from core.extensions import db
from core.models import Department, OrganisationKind
from proposals.models import Proposal, State
from proposals.visibility import CURRENT_CONSENT_VERSION

ADOPTED_LIKE = {State.ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED}


def place(
    make_proposal,
    state: str = "adopted",
    *,
    published: bool = True,
    fy: int | None = None,
    kind: str = "npo_corp",
    lead: str | None = None,
    submitted_at: datetime | None = None,
    **fields,
) -> Proposal:
    fields.setdefault("consent_publish", True)
    fields.setdefault("consent_version", CURRENT_CONSENT_VERSION if fields["consent_publish"] else None)
    proposal = make_proposal(**fields)
    state = State(state)
    proposal.state = state
    if state == State.INFO_REQUESTED:
        proposal.resume_state = State.ASSIGNED
    if state == State.MERGED:
        proposal.merged_into_id = make_proposal().id
    if state in ADOPTED_LIKE or state == State.NOT_ADOPTED:
        proposal.decided_at = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
        proposal.decision_reason = "区の計画と一致するため採択します。" if state != State.NOT_ADOPTED else "今回は見送ります。"
    if fy is not None:
        proposal.fiscal_year = fy
    if submitted_at is not None:
        proposal.submitted_at = submitted_at
    proposal.organisation.kind = OrganisationKind(kind)
    lead_code = lead or (fields.get("wards") or ["ward-miyamae"])[0]
    proposal.lead_department_id = department_id(lead_code)
    proposal.publication_approved = published and proposal.consent_publish
    db.session.commit()
    return proposal


def dept(code: str) -> Department:
    return db.session.scalar(sa.select(Department).where(Department.code == code))


def sign_in_applicant(app, client, email: str) -> None:
    """Sign an applicant in through the real one-time link."""
    from core.auth import issue_signin_link

    with app.test_request_context():
        token = issue_signin_link(email)
        db.session.commit()
    response = client.post(f"/signin/link/{token}")
    assert response.status_code == 302


def sign_in_staff(client, user, password: str = "correct horse battery") -> None:
    response = client.post("/staff/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
