"""Finding 9 of issue 13: the city is not a relay. The confirmation, with
the proposal's title, goes only to addresses proven by a sign-in; a contact
address typed into the form gets at most a neutral note."""

from __future__ import annotations

import sqlalchemy as sa
from intake_helpers import VALID_STEPS, sign_in
from test_intake_flow import fill_all_steps

from core.extensions import db
from core.models import Membership, OutboxEmail
from proposals.models import Proposal

TITLE = VALID_STEPS[3]["title"]


def _submit(client, user, contact_email: str, before_submit=None) -> Proposal:
    sign_in(client, user)
    draft_id = int(client.post("/proposals/new", data={"organisation": "new"}).headers["Location"].split("/")[2])
    fill_all_steps(client, draft_id)
    client.post(f"/proposals/{draft_id}/step/2", data={**VALID_STEPS[2], "contact_email": contact_email})
    if before_submit is not None:
        before_submit(db.session.get(Proposal, draft_id))
    response = client.post(f"/proposals/{draft_id}/review", data={"consent_privacy": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return db.session.get(Proposal, draft_id)


def _emails_to(address: str) -> list[OutboxEmail]:
    return db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == address)).all()


def _carries_the_proposal(email: OutboxEmail, proposal: Proposal) -> bool:
    text = email.subject + email.body_text
    return any(part in text for part in (TITLE, proposal.summary, proposal.reference, "/my/proposals/"))


def test_a_stranger_typed_as_contact_gets_a_neutral_note_without_the_proposal(client, make_user):
    applicant = make_user("applicant", email="applicant@example.jp")
    proposal = _submit(client, applicant, "victim@example.org")
    [confirmation] = _emails_to("applicant@example.jp")
    assert _carries_the_proposal(confirmation, proposal)  # the signed-in applicant's own address: the full text
    [note] = _emails_to("victim@example.org")
    assert not _carries_the_proposal(note, proposal)
    assert "連絡先として" in note.subject and "提案の内容はこのメールではお知らせしていません" in note.body_text


def test_an_existing_account_outside_the_organisation_is_a_stranger_too(client, make_user):
    make_user("applicant", email="someone-else@example.jp")
    proposal = _submit(client, make_user("applicant"), "someone-else@example.jp")
    [note] = _emails_to("someone-else@example.jp")
    assert not _carries_the_proposal(note, proposal)


def test_a_member_of_the_organisation_as_contact_gets_the_confirmation(client, make_user):
    colleague = make_user("applicant", email="colleague@example.jp")

    def join(draft):
        db.session.add(Membership(user_id=colleague.id, organisation_id=draft.organisation_id))
        db.session.commit()

    proposal = _submit(client, make_user("applicant"), "colleague@example.jp", before_submit=join)
    emails = _emails_to("colleague@example.jp")
    assert len(emails) == 1 and _carries_the_proposal(emails[0], proposal)
