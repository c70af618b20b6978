"""The evaluation form: who may enter it, how it validates, the audit
event, the move to `evaluated`, and that it shows publicly."""

from __future__ import annotations

import sqlalchemy as sa
from conftest import department_id
from public_helpers import place, sign_in_applicant, sign_in_staff

from core.extensions import db
from core.models import Event
from proposals.models import Assignment, AssignmentRole, Proposal, State
from public.models import Evaluation, ExitReached, ReviewDecision

GOOD = {
    "implementation_start": "2025-04-01",
    "implementation_end": "2026-03-31",
    "indicator_1_name": "参加者数",
    "indicator_1_target": "300人",
    "indicator_1_actual": "412人",
    "exit_reached": "reached",
    "exit_note": "参加費と協賛で自走できるようになりました。",
    "review_decision": "continue",
    "reviewed_on": "2026-05-20",
    "summary": "目標を上回る参加がありました。",
}


def test_lead_department_enters_the_evaluation_and_it_is_public(client, make_user, make_proposal):
    proposal = place(make_proposal, "completed", wards=("ward-asao",), lead="ward-asao", title="麻生の里山保全")
    # The lifecycle lets a department with a live assignment move a completed proposal to evaluated.
    db.session.add(Assignment(proposal_id=proposal.id, department_id=department_id("ward-asao"),
                              role=AssignmentRole.LEAD))
    db.session.commit()
    staff = make_user("department_staff", "ward-asao")
    sign_in_staff(client, staff)
    listing = client.get("/evaluations").get_data(as_text=True)
    assert "麻生の里山保全" in listing
    form = client.get(f"/evaluations/{proposal.id}").get_data(as_text=True)
    assert "評価の概要" in form and "必須" in form
    response = client.post(f"/evaluations/{proposal.id}", data={**GOOD, "finalise": "y"})
    assert response.status_code == 302
    evaluation = db.session.scalar(sa.select(Evaluation).where(Evaluation.proposal_id == proposal.id))
    assert evaluation.exit_reached == ExitReached.REACHED
    assert evaluation.review_decision == ReviewDecision.CONTINUE
    assert evaluation.indicators == [{"name": "参加者数", "target": "300人", "actual": "412人"}]
    assert db.session.get(Proposal, proposal.id).state == State.EVALUATED
    kinds = db.session.scalars(sa.select(Event.kind).where(Event.proposal_id == proposal.id).order_by(Event.id)).all()
    assert kinds[-2:] == ["evaluation_recorded", "state_changed"]
    recorded = db.session.scalar(sa.select(Event).where(Event.kind == "evaluation_recorded"))
    assert recorded.actor_user_id == staff.id and recorded.data["changed"]["exit_reached"]["to"] == "reached"
    public = client.get(f"/catalogue/{proposal.reference}").get_data(as_text=True)
    assert "目標を上回る参加がありました。" in public and "412人" in public and "継続する" in public


def test_an_update_is_audited_with_what_changed(client, make_user, make_proposal):
    proposal = place(make_proposal, "in_progress", lead="ward-miyamae")
    window = make_user("window")
    sign_in_staff(client, window)  # the window may evaluate any adopted proposal
    client.post(f"/evaluations/{proposal.id}", data={**GOOD, "implementation_end": "", "review_decision": "",
                                                     "reviewed_on": ""})
    prefilled = client.get(f"/evaluations/{proposal.id}").get_data(as_text=True)
    assert "412人" in prefilled  # the form shows what was saved
    client.post(f"/evaluations/{proposal.id}", data={**GOOD, "implementation_end": "", "review_decision": "",
                                                     "reviewed_on": "", "exit_reached": "not_reached"})
    update = db.session.scalar(sa.select(Event).where(Event.kind == "evaluation_updated"))
    assert update.data["changed"] == {"exit_reached": {"from": "reached", "to": "not_reached"}}
    assert db.session.get(Proposal, proposal.id).state == State.IN_PROGRESS  # finalise only from completed


def test_validation_names_the_field_and_keeps_the_input(client, make_user, make_proposal):
    proposal = place(make_proposal, "adopted", lead="ward-miyamae")
    sign_in_staff(client, make_user("department_staff", "ward-miyamae"))
    bad = {**GOOD, "implementation_start": "2026-04-01", "implementation_end": "2025-03-31", "reviewed_on": "",
           "summary": "", "indicator_2_target": "100", "exit_note": "残したい説明"}
    response = client.post(f"/evaluations/{proposal.id}", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "入力内容に4件の問題があります" in page
    assert "実施期間の終了日は開始日以降の日付にしてください（同じ日でもかまいません）。" in page
    assert "検証日を入力してください" in page
    assert "評価の概要を入力してください。" in page
    assert "指標名も入力してください" in page
    assert "残したい説明" in page  # nothing typed is lost
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == 0


def test_full_width_dates_are_accepted_and_nonsense_is_explained(client, make_user, make_proposal):
    proposal = place(make_proposal, "adopted", lead="ward-miyamae")
    sign_in_staff(client, make_user("department_staff", "ward-miyamae"))
    response = client.post(f"/evaluations/{proposal.id}", data={**GOOD, "implementation_start": "２０２５／４／１",
                                                                 "reviewed_on": "2026/5/20"})
    assert response.status_code == 302
    evaluation = db.session.scalar(sa.select(Evaluation))
    assert evaluation.implementation_start.isoformat() == "2025-04-01"
    response = client.post(f"/evaluations/{proposal.id}", data={**GOOD, "implementation_start": "来年の春"})
    assert response.status_code == 200
    assert "実施期間（開始日）は 2025-04-01 のように" in response.get_data(as_text=True)


def test_only_the_lead_department_and_the_window_may_evaluate(app, client, make_user, make_proposal):
    proposal = place(make_proposal, "adopted", lead="ward-miyamae")
    sign_in_staff(client, make_user("department_staff", "ward-asao"))
    assert client.get(f"/evaluations/{proposal.id}").status_code == 404
    assert client.post(f"/evaluations/{proposal.id}", data=GOOD).status_code == 404
    assert "評価の対象となる提案はありません" in client.get("/evaluations").get_data(as_text=True)
    client.post("/signout")
    sign_in_applicant(app, client, proposal.created_by.email)
    assert client.get(f"/evaluations/{proposal.id}").status_code == 403
    client.post("/signout")
    assert client.get(f"/evaluations/{proposal.id}").status_code == 302  # to sign-in
    # Not adopted: nothing to evaluate, even for the window.
    other = place(make_proposal, "not_adopted", lead="ward-miyamae")
    sign_in_staff(client, make_user("window"))
    assert client.get(f"/evaluations/{other.id}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == 0


def test_a_draft_evaluation_is_public_only_once_final(client, make_user, make_proposal):
    """Saved but not confirmed, an evaluation is a draft for staff: neither the
    catalogue page nor the open data show it. Confirming it (the proposal moves
    to `evaluated`) publishes it in both."""
    import csv
    import io
    import json

    proposal = place(make_proposal, "completed", wards=("ward-asao",), lead="ward-asao", title="麻生の里山保全")
    db.session.add(Assignment(proposal_id=proposal.id, department_id=department_id("ward-asao"),
                              role=AssignmentRole.LEAD))
    db.session.commit()
    sign_in_staff(client, make_user("department_staff", "ward-asao"))

    def public_views():
        page = client.get(f"/catalogue/{proposal.reference}").get_data(as_text=True)
        [record] = json.loads(client.get("/open-data/proposals.json").get_data(as_text=True))["proposals"]
        [row] = csv.DictReader(io.StringIO(client.get("/open-data/proposals.csv").get_data(as_text=True).lstrip("\ufeff")))
        return page, record, row

    assert client.post(f"/evaluations/{proposal.id}", data=GOOD).status_code == 302  # saved, not confirmed
    assert db.session.get(Proposal, proposal.id).state == State.COMPLETED
    assert "下書き" in client.get(f"/evaluations/{proposal.id}").get_data(as_text=True)
    page, record, row = public_views()
    assert "評価・検証" not in page and "目標を上回る参加がありました。" not in page and "412人" not in page
    assert all(record[name] in (None, []) for name in record if name.startswith("evaluation_"))
    assert all(row[name] == "" for name in row if name.startswith("evaluation_"))
    assert record["status"] == "completed" and row["title"] == "麻生の里山保全"  # the proposal itself is public

    assert client.post(f"/evaluations/{proposal.id}", data={**GOOD, "finalise": "y"}).status_code == 302
    assert db.session.get(Proposal, proposal.id).state == State.EVALUATED
    page, record, row = public_views()
    assert "評価・検証" in page and "目標を上回る参加がありました。" in page and "412人" in page
    assert record["evaluation_summary"] == "目標を上回る参加がありました。"
    assert record["evaluation_indicators"] == [{"name": "参加者数", "target": "300人", "actual": "412人"}]
    assert row["evaluation_review_decision"] == "continue" and row["evaluation_exit_reached"] == "reached"
