"""The applicant's status page, messages, answers, withdrawal, emails on
public changes (with per-person settings) and organisation members."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import department_id
from intake_helpers import sign_in, tiny_pdf

from core.audit import Actor
from core.columns import utcnow
from core.extensions import db
from core.models import Department, Membership, OutboxEmail, User
from intake.models import Invitation
from proposals import operations
from proposals.models import Assignment, AssignmentRole, Attachment, Message, Proposal, State

MEMBERS = {"member@example.jp", "colleague@example.jp"}  # other rooms may also email staff


def outbox(to: str | None = None) -> list[OutboxEmail]:
    query = sa.select(OutboxEmail).order_by(OutboxEmail.id)
    if to:
        query = query.where(OutboxEmail.to_address == to)
    return db.session.scalars(query).all()


@pytest.fixture
def setup(make_user, make_proposal):
    """A proposal of an organisation with two members, one of them English-speaking."""
    member = make_user("applicant", email="member@example.jp", name="寄合 一子")
    proposal = make_proposal(applicant=member)
    colleague = make_user("applicant", email="colleague@example.jp", locale="en")
    db.session.add(Membership(user=colleague, organisation_id=proposal.organisation_id))
    db.session.commit()
    db.session.execute(sa.delete(OutboxEmail))  # forget the submission emails of the factory
    db.session.commit()
    return proposal, member, colleague


def page_for(app, user, path):
    client = app.test_client()
    sign_in(client, user)
    return client, client.get(path)


def assign(proposal, code="ward-miyamae", *, public_contact=None, make_user=None):
    window = make_user("window", name="窓口 花子")
    dept = db.session.scalar(sa.select(Department).where(Department.code == code))
    dept.public_contact = public_contact
    operations.assign(proposal, dept.id, [department_id("kenko-fukushi")], Actor.of_user(window))
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                         Assignment.role == AssignmentRole.LEAD))
    lead.ack_due_on = date.today() + timedelta(days=7)
    lead.answer_due_on = date.today() + timedelta(days=30)
    db.session.commit()
    return window


def test_received_proposal_shows_plain_status_next_step_and_date(app, setup):
    proposal, member, _ = setup
    _, response = page_for(app, member, f"/my/proposals/{proposal.reference}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "受付済み" in html and "担当する部署を決めます" in html and "ごろまでに決まる予定" in html
    assert "提案を受け付けました" in html and proposal.reference in html


def test_the_date_applicants_are_told_is_the_windows_triage_allowance(app, setup):
    """TRIAGE_BUSINESS_DAYS (2) business days after the day it arrived, the
    same allowance the sweep chases: Fri 5/1, then Golden Week, 5/7 and 5/8."""
    proposal, member, _ = setup
    proposal.submitted_at = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
    db.session.commit()
    for path in (f"/my/proposals/{proposal.reference}", f"/my/proposals/{proposal.reference}/submitted"):
        _, response = page_for(app, member, path)
        html = response.get_data(as_text=True)
        assert "2026年5月8日" in html and "2026年5月13日" not in html, path


def test_assigned_proposal_names_departments_never_staff(app, setup, make_user):
    proposal, member, _ = setup
    window = assign(proposal, make_user=make_user)
    _, response = page_for(app, member, f"/my/proposals/{proposal.reference}")
    html = response.get_data(as_text=True)
    assert "担当部署で検討中" in html and "宮前区役所" in html and "健康福祉局" in html
    assert "担当部署が決まりました" in html and "までに受け取りの連絡" in html
    assert window.name not in html and window.email not in html


def test_public_contact_is_shown_only_when_the_department_chooses(app, setup, make_user):
    proposal, member, _ = setup
    assign(proposal, public_contact="宮前区役所 地域振興課 044-856-3125", make_user=make_user)
    _, response = page_for(app, member, f"/my/proposals/{proposal.reference}")
    assert "地域振興課 044-856-3125" in response.get_data(as_text=True)


def test_internal_events_and_notes_are_not_shown(app, setup, make_user):
    proposal, member, _ = setup
    window = assign(proposal, make_user=make_user)
    staff = make_user("department_staff", "ward-miyamae")
    operations.post_message(proposal, Actor.of_user(staff), "内部メモ: 予算が厳しい", internal=True)
    operations.transition(proposal, State.TRIAGE, Actor.of_user(staff), comment="うちではない（内部）")
    db.session.commit()
    _, response = page_for(app, member, f"/my/proposals/{proposal.reference}")
    html = response.get_data(as_text=True)
    assert "内部メモ" not in html and "うちではない" not in html
    assert window.id


def test_messages_are_threaded_with_attachments_and_department_names(app, setup, make_user):
    proposal, member, colleague = setup
    staff = make_user("department_staff", "ward-miyamae", name="宮前 三郎")
    assign(proposal, make_user=make_user)
    question = operations.post_message(proposal, Actor.of_user(staff), "会場の広さを教えてください。",
                                       department_id=department_id("ward-miyamae"))
    db.session.commit()
    client, _ = page_for(app, member, "/my")
    response = client.post(f"/my/proposals/{proposal.reference}/messages", content_type="multipart/form-data",
                           data={"body": "３０人ほど入れます。", "parent_id": str(question.id),
                                 "files": [(io.BytesIO(tiny_pdf()), "間取り.pdf")]})
    assert response.status_code == 302
    reply = db.session.scalar(sa.select(Message).where(Message.parent_id == question.id))
    assert reply.body == "30人ほど入れます。" and reply.author_id == member.id  # stored NFKC
    [attachment] = db.session.scalars(sa.select(Attachment).where(Attachment.message_id == reply.id)).all()
    html = client.get(f"/my/proposals/{proposal.reference}").get_data(as_text=True)
    assert "会場の広さを教えてください。" in html and "間取り.pdf" in html and "宮前区役所" in html
    assert "宮前 三郎" not in html
    assert html.index("会場の広さ") < html.index("30人ほど") and 'class="intake-thread"' in html
    # the staff message was emailed to both members, each in their language; the reply to nobody
    emails = [e for e in outbox() if "メッセージ" in e.subject or "message" in e.subject.lower()]
    assert {e.to_address for e in emails if e.to_address in MEMBERS} == MEMBERS
    assert {e.to_address for e in emails} & MEMBERS == MEMBERS
    assert attachment.id


def test_empty_message_and_bad_file_are_explained_and_nothing_is_sent(app, setup):
    proposal, member, _ = setup
    client, _ = page_for(app, member, "/my")
    response = client.post(f"/my/proposals/{proposal.reference}/messages", content_type="multipart/form-data",
                           data={"body": "", "files": [(io.BytesIO(b"MZ" + bytes(300)), "x.exe")]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "メッセージを入力してください" in html and "受け付けられない種類" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_answering_an_information_request_resumes_the_proposal(app, setup, make_user):
    proposal, member, colleague = setup
    assign(proposal, make_user=make_user)
    staff = make_user("department_staff", "ward-miyamae")
    operations.transition(proposal, State.INFO_REQUESTED, Actor.of_user(staff), comment="参加団体の一覧をください。")
    db.session.commit()
    before = {e.id for e in outbox()}
    client, response = page_for(app, member, f"/my/proposals/{proposal.reference}")
    html = response.get_data(as_text=True)
    assert "追加情報をお待ちしています" in html and "参加団体の一覧をください。" in html and 'id="answer"' in html
    response = client.post(f"/my/proposals/{proposal.reference}/answer", content_type="multipart/form-data",
                           data={"body": "別紙のとおりです。", "files": [(io.BytesIO(tiny_pdf()), "一覧.pdf")]})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.ASSIGNED
    assert db.session.scalar(sa.select(Attachment).where(Attachment.filename == "一覧.pdf")).message_id is not None
    # the info request was emailed (with the question) to both members; the answer to the colleague only
    requests = [e for e in outbox("member@example.jp") if "参加団体の一覧をください。" in e.body_text]
    assert len(requests) == 1 and f"/my/proposals/{proposal.reference}" in requests[0].body_text
    after = [e.to_address for e in outbox() if e.id not in before]  # (other rooms may email staff)
    assert "colleague@example.jp" in after and "member@example.jp" not in after  # not the member who answered


def test_an_empty_answer_is_explained_at_the_top_and_every_field_has_its_own_id(app, setup, make_user):
    import re

    proposal, member, _ = setup
    assign(proposal, make_user=make_user)
    staff = make_user("department_staff", "ward-miyamae")
    operations.transition(proposal, State.INFO_REQUESTED, Actor.of_user(staff), comment="参加団体の一覧をください。")
    db.session.commit()
    client, response = page_for(app, member, f"/my/proposals/{proposal.reference}")
    ids = re.findall(r'\sid="([^"]+)"', response.get_data(as_text=True))
    assert [i for i in set(ids) if ids.count(i) > 1] == []  # two upload fields, two ids, a label each
    html = client.post(f"/my/proposals/{proposal.reference}/answer", content_type="multipart/form-data",
                       data={"body": ""}).get_data(as_text=True)
    summary = html[html.index('class="error-summary"'):html.index("</div>", html.index('class="error-summary"'))]
    answer_field = re.search(r'<textarea[^>]*name="body"[^>]*aria-invalid="true"[^>]*>', html) or re.search(
        r'<textarea[^>]*aria-invalid="true"[^>]*name="body"[^>]*>', html)
    assert answer_field is not None
    field_id = re.search(r'\sid="([^"]+)"', answer_field.group(0)).group(1)
    assert f'href="#{field_id}"' in summary and "intake-focus-errors.js" in html  # focus moves to the summary
    assert html.index('class="error-summary"') < html.index('id="answer"')


def test_withdrawing_with_or_without_a_reason(app, setup, make_proposal):
    proposal, member, _ = setup
    client, response = page_for(app, member, f"/my/proposals/{proposal.reference}/withdraw")
    assert response.status_code == 200
    response = client.post(f"/my/proposals/{proposal.reference}/withdraw",
                           data={"reason": "メンバーが集まらなかったため", "lock_version": proposal.lock_version})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.WITHDRAWN
    html = client.get(f"/my/proposals/{proposal.reference}").get_data(as_text=True)
    assert "取り下げ" in html and "メンバーが集まらなかったため" in html and "提案を取り下げる</a>" not in html
    other = make_proposal(applicant=member)
    assert client.post(f"/my/proposals/{other.reference}/withdraw", data={"reason": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, other.id).state == State.WITHDRAWN


def test_withdrawal_with_a_stale_page_is_refused_clearly(app, setup, make_user):
    proposal, member, _ = setup
    client, _ = page_for(app, member, "/my")
    version = proposal.lock_version
    assign(proposal, make_user=make_user)
    response = client.post(f"/my/proposals/{proposal.reference}/withdraw", data={"lock_version": version})
    assert response.status_code == 200 and "更新されました" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.ASSIGNED


def test_emails_on_public_changes_in_each_members_language(setup, make_user):
    proposal, member, colleague = setup
    assign(proposal, make_user=make_user)
    emails = outbox()
    assert {e.to_address: e.locale for e in emails if e.to_address in MEMBERS} == {"member@example.jp": "ja",
                                                                                   "colleague@example.jp": "en"}
    japanese = next(e for e in emails if e.to_address == "member@example.jp")
    assert "担当部署で検討中" in japanese.body_text and f"/my/proposals/{proposal.reference}" in japanese.body_text
    assert re.search(r"https?://\S+/my/proposals/" + proposal.reference, japanese.body_text)


def test_non_public_moves_send_nothing(setup, make_user):
    proposal, _, _ = setup
    assign(proposal, make_user=make_user)
    db.session.execute(sa.delete(OutboxEmail))
    db.session.commit()
    staff = make_user("department_staff", "ward-miyamae")
    operations.transition(proposal, State.TRIAGE, Actor.of_user(staff), comment="うちではない")
    db.session.commit()
    assert [e for e in outbox() if e.to_address in MEMBERS] == []


def test_people_who_opt_out_get_no_email(app, setup, make_user):
    proposal, member, colleague = setup
    client, response = page_for(app, colleague, "/my/settings")
    assert response.status_code == 200
    response = client.post("/my/settings", data={"messages": "y", "locale": "en"})  # public_changes unticked
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, colleague.id).notification_settings == {"public_changes": False, "messages": True}
    assign(proposal, make_user=make_user)
    assert [e.to_address for e in outbox() if e.to_address in MEMBERS] == ["member@example.jp"]


def test_the_actor_is_not_emailed_about_their_own_change(app, setup):
    proposal, member, colleague = setup
    client, _ = page_for(app, member, "/my")
    client.post(f"/my/proposals/{proposal.reference}/withdraw", data={"reason": ""})
    assert [e.to_address for e in outbox() if e.to_address in MEMBERS] == ["colleague@example.jp"]


def _member_emails(before: set[int] | None = None) -> list[OutboxEmail]:
    return [e for e in outbox() if e.to_address in MEMBERS and (before is None or e.id not in before)]


def _forget_emails() -> None:
    db.session.execute(sa.delete(OutboxEmail))
    db.session.commit()


def _lead(proposal) -> Assignment:
    return db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                         Assignment.role == AssignmentRole.LEAD))


def test_a_department_acknowledging_emails_each_member_once(setup, make_user):
    from responses import operations as answers

    proposal, member, colleague = setup
    assign(proposal, make_user=make_user)
    _forget_emails()
    staff = make_user("department_staff", "ward-miyamae")
    answers.acknowledge(_lead(proposal), Actor.of_user(staff), "来週、担当者からご連絡します。")
    db.session.commit()
    emails = _member_emails()
    assert sorted(e.to_address for e in emails) == sorted(MEMBERS)  # one each
    japanese = next(e for e in emails if e.to_address == "member@example.jp")
    english = next(e for e in emails if e.to_address == "colleague@example.jp")
    assert "宮前区役所" in japanese.body_text and "受け取り、検討を始めました" in japanese.body_text
    assert "来週、担当者からご連絡します。" in japanese.body_text and japanese.locale == "ja"
    assert (date.today() + timedelta(days=30)).isoformat()[:4] in japanese.body_text  # the answer date
    assert re.search(r"https?://\S+/my/proposals/" + proposal.reference, japanese.body_text)
    assert english.locale == "en" and "Miyamae Ward Office" in english.body_text
    assert "/my/settings" in english.body_text and "担当部署" not in english.subject


def test_publication_approved_and_withdrawn_email_each_member_once(setup, make_user):
    from public.operations import set_publication

    proposal, member, colleague = setup
    proposal.consent_publish, proposal.consent_version = True, 2
    proposal.partners_wanted = ["university"]
    db.session.commit()
    window = make_user("window")
    set_publication(proposal, True, Actor.of_user(window))
    db.session.commit()
    emails = _member_emails()
    assert sorted(e.to_address for e in emails) == sorted(MEMBERS)
    japanese = next(e for e in emails if e.to_address == "member@example.jp")
    assert "公開カタログに掲載されました" in japanese.subject
    assert f"/catalogue/{proposal.reference}" in japanese.body_text
    assert f"/partners/wanted/{proposal.reference}" in japanese.body_text  # it seeks partners
    _forget_emails()
    set_publication(proposal, False, Actor.of_user(window), reason="内容を確認し直すためです。")
    db.session.commit()
    emails = _member_emails()
    assert sorted(e.to_address for e in emails) == sorted(MEMBERS)
    # The window's memo is for the city's record (proposals.visibility): the applicant is told, not the memo.
    assert not any("内容を確認し直すためです。" in e.body_text for e in emails)


def test_a_member_who_opted_out_gets_none_of_these(app, setup, make_user):
    from public.operations import set_publication
    from responses import operations as answers

    proposal, member, colleague = setup
    client, _ = page_for(app, colleague, "/my/settings")
    client.post("/my/settings", data={"messages": "y", "locale": "en"})  # public changes unticked
    proposal.consent_publish, proposal.consent_version = True, 2
    db.session.commit()
    assign(proposal, make_user=make_user)
    staff = make_user("department_staff", "ward-miyamae")
    answers.acknowledge(_lead(proposal), Actor.of_user(staff))
    set_publication(proposal, True, Actor.of_user(make_user("window")))
    db.session.commit()
    told = [e.to_address for e in _member_emails()]
    assert "colleague@example.jp" not in told and told.count("member@example.jp") == 3  # assigned, ack, published


def test_one_change_is_one_email_even_with_several_public_events(setup, make_user):
    from responses import operations as answers

    proposal, member, colleague = setup
    assign(proposal, make_user=make_user)
    staff = make_user("department_staff", "ward-miyamae")
    _forget_emails()
    # A meeting proposed: a message and the move to in_consultation (two public events, one email).
    answers.propose_meeting(_lead(proposal), Actor.of_user(staff), ["6月3日 10時", "6月5日 14時"], "ご相談したいです。")
    db.session.commit()
    emails = _member_emails()
    assert sorted(e.to_address for e in emails) == sorted(MEMBERS)
    assert all("6月3日 10時" in e.body_text for e in emails)
    # Again, in consultation: a message and a meeting_proposed event; one who takes no message
    # emails hears of it through the meeting email, still once.
    colleague = db.session.get(User, colleague.id)
    colleague.notification_settings = {"public_changes": True, "messages": False}
    db.session.commit()
    before = {e.id for e in outbox()}
    answers.propose_meeting(_lead(proposal), Actor.of_user(staff), ["6月10日 10時"], "別の日程です。")
    db.session.commit()
    emails = _member_emails(before)
    assert sorted(e.to_address for e in emails) == sorted(MEMBERS)
    meeting = next(e for e in emails if e.to_address == "colleague@example.jp")
    assert "6月10日 10時" in meeting.body_text and "meeting" in meeting.subject.lower()


def test_completed_to_evaluated_is_news_too_once(setup, make_user):
    from public.models import ExitReached
    from public.operations import record_evaluation

    proposal, member, colleague = setup
    assign(proposal, make_user=make_user)
    staff = make_user("department_staff", "ward-miyamae")
    actor = Actor.of_user(staff)
    operations.transition(proposal, State.ADOPTED, actor, comment="採択します。")
    operations.transition(proposal, State.IN_PROGRESS, actor)
    operations.transition(proposal, State.COMPLETED, actor)
    db.session.commit()
    _forget_emails()
    record_evaluation(proposal, actor, implementation_start=None, implementation_end=None, indicators=[],
                      exit_reached=ExitReached.REACHED, exit_note="", review_decision=None, reviewed_on=None,
                      summary="参加者が目標を上回りました。", finalise=True)
    db.session.commit()
    emails = _member_emails()
    assert sorted(e.to_address for e in emails) == sorted(MEMBERS)  # same public state, still news
    assert all("参加者が目標を上回りました。" in e.body_text for e in emails)
    assert "評価がまとまりました" in next(e for e in emails if e.to_address == "member@example.jp").subject


def test_a_submission_is_one_email_for_each_member(make_user, make_proposal):
    """The submitter gets the confirmation, a colleague the same email; what
    routing does with the proposal in the same change sends nothing more."""
    from core.models import Organisation

    submitter = make_user("applicant", email="member@example.jp")
    colleague = make_user("applicant", email="colleague@example.jp", locale="en")
    draft = make_proposal("draft", applicant=submitter)
    db.session.add(Membership(user=colleague, organisation_id=draft.organisation_id))
    db.session.commit()
    from intake import operations as intake_ops

    window = make_user("window")
    intake_ops.submit_proposal(draft, submitter, consent_publish=False)
    # The window assigns it in the same transaction (as auto-routing would).
    operations.assign(draft, department_id("ward-miyamae"), [], Actor.of_user(window))
    db.session.commit()
    emails = _member_emails()
    assert sorted(e.to_address for e in emails) == sorted(MEMBERS)
    assert all(draft.reference in e.subject for e in emails)
    assert db.session.get(Organisation, draft.organisation_id) is not None


def test_other_organisations_and_staff_cannot_open_the_status_page(app, setup, make_user, make_organisation):
    proposal, _, _ = setup
    outsider = make_user("applicant")
    make_organisation(name="別の団体", members=[outsider])
    _, response = page_for(app, outsider, f"/my/proposals/{proposal.reference}")
    assert response.status_code == 404  # another organisation's proposal is not there for them
    _, response = page_for(app, make_user("window"), f"/my/proposals/{proposal.reference}")
    assert response.status_code == 403  # staff are not applicants: refused before any lookup
    client = app.test_client()
    assert client.get(f"/my/proposals/{proposal.reference}").status_code == 302  # sign in first


def test_every_member_sees_the_organisations_proposals_at_my(app, setup, make_proposal):
    proposal, member, colleague = setup
    _, response = page_for(app, colleague, "/my")
    html = response.get_data(as_text=True)
    assert proposal.reference in html and proposal.title in html and "Received" in html  # in her language


def test_inviting_a_colleague_by_email(app, setup):
    proposal, member, _ = setup
    client, response = page_for(app, member, f"/my/organisations/{proposal.organisation_id}/invite")
    assert response.status_code == 200
    client.post(f"/my/organisations/{proposal.organisation_id}/invite", data={"email": "ＮＥＷ＠example.jp"})
    [email] = outbox("new@example.jp")
    path = re.search(r"https?://[^/\s]+(/invitations/\S+)", email.body_text).group(1)
    invitee = app.test_client()
    assert "参加する" in invitee.get(path).get_data(as_text=True)
    response = invitee.post(path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/my")
    html = invitee.get("/my").get_data(as_text=True)
    assert proposal.reference in html  # signed in, a member, sees the organisation's proposals
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.jp"))
    assert proposal.organisation_id in user.organisation_ids()
    assert invitee.post(path).status_code == 400  # used once only


def test_expired_invitations_and_other_accounts(app, setup, make_user):
    proposal, member, _ = setup
    client, _ = page_for(app, member, "/my")
    client.post(f"/my/organisations/{proposal.organisation_id}/invite", data={"email": "late@example.jp"})
    path = re.search(r"(/invitations/\S+)", outbox("late@example.jp")[0].body_text).group(1)
    other, _ = page_for(app, make_user("applicant"), "/my")
    assert other.get(path).status_code == 409
    invitation = db.session.scalar(sa.select(Invitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert app.test_client().get(path).status_code == 400


def test_only_members_may_invite(app, setup, make_user):
    proposal, _, _ = setup
    _, response = page_for(app, make_user("applicant"), f"/my/organisations/{proposal.organisation_id}/invite")
    assert response.status_code == 404


def test_control_characters_are_dropped_not_a_database_error(app, setup):
    """PostgreSQL refuses NUL in text: such input is cleaned, never a 500."""
    proposal, member, _ = setup
    client, _ = page_for(app, member, "/my")
    response = client.post(f"/my/proposals/{proposal.reference}/messages", data={"body": "こんにちは\x00\x1b世界"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Message.body)) == "こんにちは世界"
    response = client.post(f"/my/proposals/{proposal.reference}/withdraw", data={"reason": "\x00"})
    assert response.status_code == 302


def test_every_public_state_and_known_event_kind_has_plain_words():
    from types import SimpleNamespace

    from intake.texts import EVENT_KINDS, GENERIC_EVENT, NEXT_STEPS, RESUMED, describe_event
    from proposals.lifecycle import PublicState

    for state in State:
        if state == State.DRAFT:
            continue
        event = SimpleNamespace(kind="state_changed", from_state="assigned", to_state=state.value)
        assert describe_event(event) != GENERIC_EVENT, state
    assert describe_event(SimpleNamespace(kind="state_changed", from_state="info_requested", to_state="assigned")) \
        == RESUMED
    for kind in EVENT_KINDS:
        assert describe_event(SimpleNamespace(kind=kind, from_state=None, to_state=None)) != GENERIC_EVENT
    assert set(NEXT_STEPS) == set(PublicState)


def test_an_email_subject_says_what_happened_and_what_to_do(setup, make_user):
    """「【回答のお願い】」 for a question, naming the button and landing on the answer form;
    「【採択】」 for an adoption; the English colleague reads both in English."""
    proposal, member, colleague = setup
    assign(proposal, make_user=make_user)
    staff = make_user("department_staff", "ward-miyamae")
    _forget_emails()
    operations.transition(proposal, State.INFO_REQUESTED, Actor.of_user(staff), comment="参加団体の一覧をください。")
    db.session.commit()
    question = {e.to_address: e for e in _member_emails()}
    japanese, english = question["member@example.jp"], question["colleague@example.jp"]
    assert japanese.subject.startswith("【回答のお願い】") and proposal.reference in japanese.subject
    assert "「回答を送る」" in japanese.body_text and "このページ" not in japanese.body_text
    assert re.search(r"https?://\S+/my/proposals/" + proposal.reference + "#answer", japanese.body_text)
    assert english.subject.startswith("[Please answer]") and '"Send the answer"' in english.body_text
    from intake.operations import answer
    answer(proposal, member, "一覧を添付します。", [])
    db.session.commit()
    _forget_emails()
    operations.transition(proposal, State.ADOPTED, Actor.of_user(staff), comment="採択します。")
    db.session.commit()
    adopted = {e.to_address: e for e in _member_emails()}
    assert adopted["member@example.jp"].subject.startswith("【採択】")
    assert adopted["colleague@example.jp"].subject.startswith("[Adopted]")
