"""Personal data (個人情報保護法): staff reads of contact details are logged
and listed for administrators; an applicant downloads everything held about
them as JSON; `flask privacy purge` anonymises long-closed proposals (with
--dry-run showing what it would do); the privacy notice is on every page."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from conftest import department_id
from intake_helpers import sign_in

from core.audit import Actor
from core.columns import utcnow
from core.extensions import db
from core.models import Event
from proposals import operations
from proposals.models import Proposal, State
from responses import operations as answers


def _assigned(make_user, make_proposal):
    applicant = make_user("applicant")
    proposal = make_proposal(applicant=applicant, contact_name="寄合 一子", contact_phone="0449990123")
    operations.assign(proposal, department_id("ward-miyamae"), [department_id("kenko-fukushi")],
                      Actor.of_user(make_user("window")), reason="区の事業")
    db.session.commit()
    return proposal, applicant


def test_contact_details_are_shown_on_request_and_every_read_is_logged_for_administrators(app, make_user,
                                                                                          make_proposal):
    proposal, applicant = _assigned(make_user, make_proposal)
    ward = make_user("department_staff", "ward-miyamae", name="宮前 次郎")
    client = app.test_client()
    sign_in(client, ward)
    page = client.get(f"/inbox/proposals/{proposal.id}").get_data(as_text=True)
    assert applicant.email not in page and "連絡先を表示する" in page
    assert db.session.scalar(sa.select(sa.func.count()).where(Event.kind == "personal_data_viewed")) == 0
    page = client.get(f"/inbox/proposals/{proposal.id}?contact=1").get_data(as_text=True)
    assert applicant.email in page and "044" in page
    read = db.session.scalar(sa.select(Event).where(Event.kind == "personal_data_viewed"))
    assert read.actor_user_id == ward.id and read.proposal_id == proposal.id and not read.public
    admin = app.test_client()
    sign_in(admin, make_user("admin"))
    listing = admin.get("/admin/privacy/reads").get_data(as_text=True)
    assert "宮前 次郎" in listing and proposal.reference in listing and "寄合 一子" in listing
    assert client.get("/admin/privacy/reads").status_code == 403


def test_a_department_that_let_go_cannot_reveal_contact_details(app, make_user, make_proposal):
    proposal, applicant = _assigned(make_user, make_proposal)
    co = make_user("department_staff", "kenko-fukushi")
    co_assignment = next(a for a in proposal.assignments if a.department_id == department_id("kenko-fukushi"))
    answers.not_ours(co_assignment, Actor.of_user(co), "局の事業ではありません。")
    db.session.commit()
    client = app.test_client()
    sign_in(client, co)
    page = client.get(f"/inbox/proposals/{proposal.id}?contact=1").get_data(as_text=True)
    assert applicant.email not in page and "寄合 一子" not in page
    assert db.session.scalar(sa.select(sa.func.count()).where(Event.kind == "personal_data_viewed")) == 0


def test_an_applicant_downloads_everything_held_about_them_but_no_internal_note(app, make_user, make_proposal):
    proposal, applicant = _assigned(make_user, make_proposal)
    operations.post_message(proposal, Actor.of_user(make_user("window")), "職員だけのメモ", internal=True)
    operations.post_message(proposal, Actor.of_user(applicant), "よろしくお願いします")
    db.session.commit()
    client = app.test_client()
    sign_in(client, applicant)
    response = client.get("/my/data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["user"]["email"] == applicant.email
    [mine] = data["proposals"]
    assert mine["reference"] == proposal.reference and mine["contact_name"] == "寄合 一子"
    assert [m["body"] for m in mine["messages"]] == ["よろしくお願いします"]
    text = json.dumps(data, ensure_ascii=False)
    assert "職員だけのメモ" not in text and "区の事業" not in text  # internal note, the routing reason
    assert app.test_client().get("/my/data.json").status_code in (302, 401)


def test_purge_anonymises_long_closed_proposals_and_dry_run_changes_nothing(app, make_user, make_proposal):
    old, applicant = _assigned(make_user, make_proposal)
    operations.transition(old, State.WITHDRAWN, Actor.of_user(applicant))
    recent = make_proposal(contact_name="最近 三郎")
    operations.transition(recent, State.WITHDRAWN, Actor.of_user(recent.created_by))
    db.session.commit()
    db.session.execute(sa.update(Proposal).where(Proposal.id == old.id)
                       .values(updated_at=utcnow() - timedelta(days=app.config["PRIVACY_RETENTION_DAYS"] + 1)))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would anonymise" in result.output and old.reference in result.output
    assert recent.reference not in result.output
    db.session.expire_all()
    assert db.session.get(Proposal, old.id).contact_email == applicant.email  # nothing changed
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "anonymised" in result.output
    db.session.expire_all()
    purged = db.session.get(Proposal, old.id)
    assert (purged.contact_name, purged.contact_email, purged.contact_phone) == ("", "", "")
    assert purged.title and purged.state == State.WITHDRAWN and purged.theme_codes  # the record and statistics stay
    assert db.session.get(Proposal, recent.id).contact_name == "最近 三郎"
    assert db.session.scalar(sa.select(Event).where(Event.kind == "personal_data_purged",
                                                    Event.proposal_id == old.id)) is not None
    # Running again finds nothing left to do.
    assert " of 0 proposals" in runner.invoke(args=["privacy", "purge", "--dry-run"]).output


def test_the_privacy_notice_is_linked_from_every_page(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/privacy"' in home
    page = client.get("/privacy").get_data(as_text=True)
    assert "個人情報の取り扱い" in page and "担当者のメールアドレス" in page and "地域の課題・背景" in page
