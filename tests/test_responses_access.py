"""Who may open a proposal's files, at /attachments/<id> (intake/access.py)
and at /inbox/proposals/<id>/files/<id>: as in the inbox, staff of a
department holding the proposal now, the window and administrators. The
engine's proposed lead before confirmation and a department whose
assignment ended are refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import department_id
from intake_helpers import sign_in, tiny_pdf

from core.audit import Actor
from core.extensions import db
from intake import files as file_store
from proposals import operations
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Proposal, State
from responses import operations as answers
from routing import operations as routing_ops
from routing.seed import seed_routing


@pytest.fixture
def routed(make_user, make_proposal):
    """A submitted proposal with a file, routed by the rules to ward-miyamae (lead) and
    kenko-fukushi (co), still waiting in triage."""
    from intake import operations as intake_ops

    seed_routing()
    db.session.commit()
    member = make_user("applicant")
    proposal = make_proposal(applicant=member)
    checked = file_store.CheckedFile("資料.pdf", "application/pdf", tiny_pdf())
    [attachment] = intake_ops.add_attachments(proposal, [checked], Actor.of_user(member), uploaded_by=member)
    db.session.commit()
    assert proposal.state == State.TRIAGE and proposal.lead_department_id == department_id("ward-miyamae")
    return proposal, attachment


def _status(app, user, path) -> int:
    client = app.test_client()
    sign_in(client, user)
    response = client.get(path)
    response.get_data()
    response.close()  # send_file keeps the file open until the response is closed
    return response.status_code


def _both(app, user, proposal, attachment) -> tuple[int, int]:
    return (_status(app, user, f"/attachments/{attachment.id}"),
            _status(app, user, f"/inbox/proposals/{proposal.id}/files/{attachment.id}"))


def test_the_engines_proposed_lead_is_refused_before_the_window_confirms(app, routed, make_user):
    proposal, attachment = routed
    ward = make_user("department_staff", "ward-miyamae")
    assert _status(app, ward, f"/attachments/{attachment.id}") == 404
    # The window, its manager and administrators may (they triage it).
    for user in (make_user("window"), make_user("department_manager", "jichi"), make_user("admin")):
        assert _status(app, user, f"/attachments/{attachment.id}") == 200
    routing_ops.confirm(proposal, Actor.of_user(make_user("window")), expected_version=proposal.lock_version)
    db.session.commit()
    assert _both(app, ward, proposal, attachment) == (200, 200)
    assert _both(app, make_user("department_staff", "kenko-fukushi"), proposal, attachment) == (200, 200)


def test_a_department_whose_assignment_ended_is_refused(app, routed, make_user):
    proposal, attachment = routed
    routing_ops.confirm(proposal, Actor.of_user(make_user("window")), expected_version=proposal.lock_version)
    db.session.commit()
    ward = make_user("department_staff", "ward-miyamae")
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                         Assignment.role == AssignmentRole.LEAD))
    answers.not_ours(lead, Actor.of_user(ward), "健康福祉局の事業です。", department_id("kenko-fukushi"))
    db.session.commit()
    assert db.session.get(Assignment, lead.id).status == AssignmentStatus.RETURNED
    assert _both(app, ward, proposal, attachment) == (404, 404)
    # It still reads its returned assignment's page, without the file links.
    client = app.test_client()
    sign_in(client, ward)
    page = client.get(f"/inbox/proposals/{proposal.id}").get_data(as_text=True)
    assert "現在担当している部署と窓口だけが開けます" in page and f"/files/{attachment.id}" not in page

    # Re-routed to kenko-fukushi as lead; when it is decided every assignment closes.
    routing_ops.change_routing(proposal, Actor.of_user(make_user("window")), department_id("kenko-fukushi"), [],
                               "健康福祉局の事業として扱う", expected_version=db.session.get(Proposal, proposal.id).lock_version)
    db.session.commit()
    fukushi = make_user("department_staff", "kenko-fukushi")
    assert _both(app, fukushi, proposal, attachment) == (200, 200)
    new_lead = answers.lead_assignment(proposal.id)
    answers.not_adopt(new_lead, Actor.of_user(fukushi), "予算がない", "今回は見送ります。")
    db.session.commit()
    assert db.session.get(Assignment, new_lead.id).status == AssignmentStatus.CLOSED
    assert _both(app, fukushi, proposal, attachment) == (404, 404)
    assert _status(app, make_user("window"), f"/attachments/{attachment.id}") == 200


def test_an_unrelated_department_and_applicants_of_other_organisations_are_refused(
        app, routed, make_user, make_organisation):
    proposal, attachment = routed
    operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(make_user("window")))
    db.session.commit()
    assert _both(app, make_user("department_staff", "kankyo"), proposal, attachment) == (404, 404)
    outsider = make_user("applicant")
    make_organisation(name="別の団体", members=[outsider])
    assert _status(app, outsider, f"/attachments/{attachment.id}") == 404
