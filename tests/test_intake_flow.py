"""Starting, drafts, resuming through the emailed link, submitting, and
the abuse protections (honeypot, rate limits, no account enumeration)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import other_app
from intake_helpers import VALID_STEPS, comparable_page, csrf_token, sign_in

from core.extensions import db, limiter
from core.models import Event, Membership, OutboxEmail, User
from proposals.models import Proposal, State


def outbox(to: str | None = None) -> list[OutboxEmail]:
    query = sa.select(OutboxEmail).order_by(OutboxEmail.id)
    if to:
        query = query.where(OutboxEmail.to_address == to)
    return db.session.scalars(query).all()


def link_in(email: OutboxEmail) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", email.body_text).group(1)


def fill_all_steps(client, draft_id: int) -> None:
    for step in range(1, 6):
        response = client.post(f"/proposals/{draft_id}/step/{step}", data=VALID_STEPS[step])
        assert response.status_code == 302, step
    client.post(f"/proposals/{draft_id}/step/6", data={"action": "next"})


def start_anonymously(client, email="new-npo@example.jp") -> int:
    response = client.post("/proposals/new", data={"email": email})
    assert response.status_code == 302
    return int(response.headers["Location"].split("/")[2])


def use_signin_link(client, email: OutboxEmail):
    path = link_in(email)
    assert client.get(path).status_code == 200  # a button, so mail scanners do not use it up
    return client.post(path)


def test_anonymous_start_saves_a_draft_and_emails_a_link_to_it(client):
    draft_id = start_anonymously(client, "ｎｅｗ－ｎｐｏ＠Example.jp")
    proposal = db.session.get(Proposal, draft_id)
    assert proposal.state == State.DRAFT and proposal.created_by_id is None
    assert proposal.draft_data["owner_email"] == "new-npo@example.jp"
    [email] = outbox("new-npo@example.jp")
    assert "/signin/link/" in email.body_text
    fill_all_steps(client, draft_id)  # the same browser keeps going without signing in
    assert db.session.get(Proposal, draft_id).title == VALID_STEPS[3]["title"]


def test_submitting_needs_the_email_confirmed_then_works(client):
    draft_id = start_anonymously(client)
    fill_all_steps(client, draft_id)
    response = client.post(f"/proposals/{draft_id}/review", data={"consent_privacy": "y"})
    assert response.status_code == 400 and "メールアドレスの確認が必要です" in response.get_data(as_text=True)
    assert db.session.get(Proposal, draft_id).state == State.DRAFT

    response = use_signin_link(client, outbox("new-npo@example.jp")[0])
    assert response.headers["Location"].endswith(f"/proposals/{draft_id}/resume")
    assert client.get(f"/proposals/{draft_id}/resume").headers["Location"].endswith(f"/proposals/{draft_id}/review")
    user = db.session.scalar(sa.select(User).where(User.email == "new-npo@example.jp"))
    proposal = db.session.get(Proposal, draft_id)
    assert proposal.created_by_id == user.id
    assert proposal.organisation_id in user.organisation_ids()  # the organisation the draft created is theirs

    response = client.post(f"/proposals/{draft_id}/review", data={"consent_privacy": "y", "consent_publish": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    proposal = db.session.get(Proposal, draft_id)
    assert re.fullmatch(r"KW-20\d\d-\d{6}", proposal.reference)
    assert response.headers["Location"].endswith(f"/my/proposals/{proposal.reference}/submitted")
    assert proposal.state in (State.TRIAGE, State.ASSIGNED)  # handed to routing (or the triage queue)
    assert proposal.consent_privacy and proposal.consent_publish
    events = db.session.scalars(sa.select(Event).where(Event.proposal_id == proposal.id, Event.public)).all()
    assert [e.to_state for e in events if e.kind == "state_changed"] == ["submitted", "triage"]

    confirmations = [e for e in outbox() if proposal.reference in e.subject]
    # The contact address typed into the form is not proven: a neutral note only (tests/test_intake_contact.py).
    assert {e.to_address for e in confirmations} == {"new-npo@example.jp"}
    assert all(link_in(e) == f"/my/proposals/{proposal.reference}" for e in confirmations)
    assert client.get(f"/my/proposals/{proposal.reference}").status_code == 200
    again = client.post(f"/proposals/{draft_id}/review", data={"consent_privacy": "y"})  # a second click
    assert again.headers["Location"].endswith(f"/my/proposals/{proposal.reference}")


def test_a_closed_browser_resumes_from_the_emailed_link_on_another_device(app, client):
    draft_id = start_anonymously(client, "laptop@example.jp")
    client.post(f"/proposals/{draft_id}/step/1", data=VALID_STEPS[1])
    client.post(f"/proposals/{draft_id}/step/2", data={**VALID_STEPS[2], "contact_name": ""})  # half done
    phone = app.test_client()
    response = phone.get(f"/proposals/{draft_id}/step/1")  # not without the link
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    use_signin_link(phone, outbox("laptop@example.jp")[0])
    response = phone.get(f"/proposals/{draft_id}/resume")
    assert response.headers["Location"].endswith(f"/proposals/{draft_id}/step/2")
    page = phone.get(f"/proposals/{draft_id}/step/2").get_data(as_text=True)
    assert VALID_STEPS[2]["past_collaboration"] in page  # what was typed before the error is there
    response = client.get(f"/proposals/{draft_id}/step/1")  # the anonymous session lost it
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_save_and_come_back_later_sends_a_fresh_link(client, make_user):
    user = make_user("applicant", email="later@example.jp")
    sign_in(client, user)
    draft_id = int(client.post("/proposals/new", data={"organisation": "new"}).headers["Location"].split("/")[2])
    response = client.post(f"/proposals/{draft_id}/step/1", data={**VALID_STEPS[1], "action": "later"})
    assert response.headers["Location"].endswith(f"/proposals/{draft_id}/saved")
    client.post(f"/proposals/{draft_id}/saved")
    [email] = outbox("later@example.jp")
    assert "/signin/link/" in email.body_text


def test_members_may_start_for_their_organisation(client, make_user, make_organisation):
    user = make_user("applicant")
    organisation = make_organisation(name="麻生区たちばな町内会", kind="neighborhood_assoc", members=[user])
    sign_in(client, user)
    page = client.get("/proposals/new").get_data(as_text=True)
    assert "麻生区たちばな町内会" in page
    response = client.post("/proposals/new", data={"organisation": str(organisation.id)})
    draft_id = int(response.headers["Location"].split("/")[2])
    assert db.session.get(Proposal, draft_id).organisation_id == organisation.id
    assert "麻生区たちばな町内会" in client.get(f"/proposals/{draft_id}/step/1").get_data(as_text=True)
    other = make_organisation(name="他人の団体")
    assert client.post("/proposals/new", data={"organisation": str(other.id)}).status_code in (200, 400)


def test_drafts_of_others_are_not_found(app, client, make_user):
    owner = make_user("applicant")
    sign_in(client, owner)
    draft_id = int(client.post("/proposals/new", data={"organisation": "new"}).headers["Location"].split("/")[2])
    stranger = app.test_client()
    sign_in(stranger, make_user("applicant"))
    for path in (f"/proposals/{draft_id}/step/1", f"/proposals/{draft_id}/review", f"/proposals/{draft_id}/saved"):
        assert stranger.get(path).status_code == 404
    assert stranger.post(f"/proposals/{draft_id}/step/3", data=VALID_STEPS[3]).status_code == 404
    staff = app.test_client()
    sign_in(staff, make_user("window"))
    assert staff.get(f"/proposals/{draft_id}/step/1").status_code == 404
    assert staff.get("/proposals/new").status_code == 200  # a notice, not a form


# --- abuse ---------------------------------------------------------------------------------------------


def test_honeypot_on_start_creates_nothing_and_sends_nothing(client):
    response = client.post("/proposals/new", data={"email": "bot@example.jp", "website": "http://spam.example"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0
    assert outbox() == []


def test_honeypot_on_submit_submits_nothing(client, make_user):
    user = make_user("applicant")
    sign_in(client, user)
    draft_id = int(client.post("/proposals/new", data={"organisation": "new"}).headers["Location"].split("/")[2])
    fill_all_steps(client, draft_id)
    response = client.post(f"/proposals/{draft_id}/review", data={"consent_privacy": "y", "website": "x"})
    assert response.status_code == 302
    assert db.session.get(Proposal, draft_id).state == State.DRAFT
    assert outbox() == []


def test_no_way_to_learn_whether_an_address_is_registered(app, make_user):
    make_user("applicant", email="known@example.jp")
    answers = []
    for email in ("known@example.jp", "unknown@example.jp"):
        client = app.test_client()
        response = client.post("/proposals/new", data={"email": email}, follow_redirects=True)
        answers.append((response.status_code, comparable_page(response.get_data(as_text=True), email)))
        assert len(outbox(email)) == 1  # both get the same kind of email
    assert answers[0] == answers[1]
    assert outbox("known@example.jp")[0].subject == outbox("unknown@example.jp")[0].subject


def test_invitations_answer_the_same_for_members_staff_and_strangers(client, make_user, make_organisation):
    inviter = make_user("applicant")
    member = make_user("applicant", email="member@example.jp")
    staff = make_user("window", email="staff@city.example.jp")
    organisation = make_organisation(members=[inviter, member])
    sign_in(client, inviter)
    answers = set()
    for email in ("member@example.jp", "staff@city.example.jp", "stranger@example.jp"):
        response = client.post(f"/my/organisations/{organisation.id}/invite", data={"email": email},
                               follow_redirects=True)
        answers.add((response.status_code, comparable_page(response.get_data(as_text=True), email)))
    assert len(answers) == 1
    assert [e.to_address for e in outbox()] == ["stranger@example.jp"]
    assert staff.id and member.id


@pytest.fixture
def limited_app():
    with other_app(RATELIMIT_ENABLED=True) as application:
        yield application
    assert not limiter.enabled  # other_app leaves the shared test app unlimited


def test_starting_is_rate_limited_per_address_and_per_client(limited_app):
    client = limited_app.test_client()
    codes = [client.post("/proposals/new", data={"email": "flood@example.jp"}).status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]
    other_addresses = [client.post("/proposals/new", data={"email": f"a{i}@example.jp"}).status_code
                       for i in range(20)]
    assert 429 in other_addresses  # the same client cannot hop addresses for ever
    page = client.post("/proposals/new", data={"email": "z@example.jp"}).get_data(as_text=True)
    assert "操作の回数が多すぎます" in page


def test_signed_in_applicants_do_not_share_one_start_counter(limited_app, make_user):
    """Signed-in applicants post no email: each has a counter of their own."""
    for _ in range(7):
        client = limited_app.test_client()
        sign_in(client, make_user("applicant"))
        response = client.post("/proposals/new", data={"organisation": "new"})
        assert response.status_code == 302 and "/step/1" in response.headers["Location"]
    one = make_user("applicant")
    client = limited_app.test_client()
    sign_in(client, one)
    codes = [client.post("/proposals/new", data={"organisation": "new"}).status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]  # one person is still limited


def test_empty_addresses_do_not_share_one_counter(limited_app):
    for _ in range(6):
        limited_app.test_client().post("/proposals/new", data={"email": ""},
                                       environ_base={"REMOTE_ADDR": "192.0.2.1"})
    page = limited_app.test_client().post("/proposals/new", data={"email": ""},
                                          environ_base={"REMOTE_ADDR": "192.0.2.2"})
    assert page.status_code == 200 and "メールアドレスを入力してください" in page.get_data(as_text=True)


def test_submissions_are_rate_limited_per_account(limited_app, make_user):
    user = make_user("applicant")
    client = limited_app.test_client()
    sign_in(client, user)
    draft_id = int(client.post("/proposals/new", data={"organisation": "new"}).headers["Location"].split("/")[2])
    codes = [client.post(f"/proposals/{draft_id}/review", data={}).status_code for _ in range(11)]
    assert codes[:10] == [400] * 10 and codes[10] == 429


def test_signin_links_for_drafts_are_rate_limited(limited_app, make_user):
    user = make_user("applicant")
    client = limited_app.test_client()
    sign_in(client, user)
    draft_id = int(client.post("/proposals/new", data={"organisation": "new"}).headers["Location"].split("/")[2])
    codes = [client.post(f"/proposals/{draft_id}/saved").status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]


def test_membership_is_kept_when_a_member_starts_a_new_organisation(client, make_user):
    user = make_user("applicant")
    sign_in(client, user)
    draft_id = int(client.post("/proposals/new", data={"organisation": "new"}).headers["Location"].split("/")[2])
    client.post(f"/proposals/{draft_id}/step/1", data=VALID_STEPS[1])
    proposal = db.session.get(Proposal, draft_id)
    assert db.session.get(Membership, (user.id, proposal.organisation_id)) is not None


def test_the_whole_form_works_with_csrf_protection_on(make_user):
    """Every form of the journey carries its CSRF token (tests usually run without)."""
    import io

    from intake_helpers import tiny_pdf

    with other_app(WTF_CSRF_ENABLED=True) as application:
        client = application.test_client()
        html = client.get("/proposals/new").get_data(as_text=True)
        assert client.post("/proposals/new", data={"email": "csrf@example.jp"}).status_code == 400  # no token
        response = client.post("/proposals/new", data={"email": "csrf@example.jp", "csrf_token": csrf_token(html)})
        draft_id = int(response.headers["Location"].split("/")[2])
        for step in range(1, 6):
            html = client.get(f"/proposals/{draft_id}/step/{step}").get_data(as_text=True)
            response = client.post(f"/proposals/{draft_id}/step/{step}",
                                   data={**VALID_STEPS[step], "csrf_token": csrf_token(html)})
            assert response.status_code == 302, step
        html = client.get(f"/proposals/{draft_id}/step/6").get_data(as_text=True)
        response = client.post(f"/proposals/{draft_id}/step/6", content_type="multipart/form-data",
                               data={"csrf_token": csrf_token(html), "action": "next",
                                     "files": [(io.BytesIO(tiny_pdf()), "a.pdf")]})
        assert response.status_code == 302
        link = link_in(outbox("csrf@example.jp")[0])
        html = client.get(link).get_data(as_text=True)
        client.post(link, data={"csrf_token": csrf_token(html)})
        html = client.get(f"/proposals/{draft_id}/review").get_data(as_text=True)
        response = client.post(f"/proposals/{draft_id}/review", data={"csrf_token": csrf_token(html), "consent_privacy": "y"})
        assert response.status_code == 302 and "/submitted" in response.headers["Location"]
        reference = response.headers["Location"].split("/")[3]
        html = client.get(f"/my/proposals/{reference}").get_data(as_text=True)
        response = client.post(f"/my/proposals/{reference}/messages", data={"csrf_token": csrf_token(html), "body": "よろしく"})
        assert response.status_code == 302
        html = client.get(f"/my/proposals/{reference}/withdraw").get_data(as_text=True)
        response = client.post(f"/my/proposals/{reference}/withdraw", data={"csrf_token": csrf_token(html), "reason": ""})
        assert response.status_code == 302
        html = client.get("/my/settings").get_data(as_text=True)
        assert client.post("/my/settings", data={"csrf_token": csrf_token(html), "locale": "ja"}).status_code == 302


def test_saving_step_1_for_an_existing_organisation_is_audited(client, make_user, make_organisation):
    """The organisation record is shared by every member's proposals: who changed which fields."""
    member = make_user("applicant")
    organisation = make_organisation(name="NPO法人テスト", members=[member])
    sign_in(client, member)
    response = client.post("/proposals/new", data={"organisation": str(organisation.id)})
    draft_id = int(response.headers["Location"].split("/")[2])
    assert client.post(f"/proposals/{draft_id}/step/1", data=VALID_STEPS[1]).status_code == 302
    [event] = db.session.scalars(sa.select(Event).where(Event.kind == "organisation_updated")).all()
    assert event.actor_user_id == member.id and event.proposal_id == draft_id
    assert event.data["organisation_id"] == organisation.id
    assert {"name", "name_kana", "phone", "member_count"} <= set(event.data["fields"])
    assert "ＮＰＯ" not in str(event.data) and "たかつ" not in str(event.data)  # field names, not values
    client.post(f"/proposals/{draft_id}/step/1", data=VALID_STEPS[1])  # nothing changed: nothing to record
    client.post(f"/proposals/{draft_id}/step/1", data={**VALID_STEPS[1], "phone": "044-200-0000"})
    events = db.session.scalars(sa.select(Event).where(Event.kind == "organisation_updated").order_by(Event.id)).all()
    assert [e.data["fields"] for e in events][1:] == [["phone"]]


def test_a_new_organisation_from_step_1_is_audited(client, make_user):
    user = make_user("applicant")
    sign_in(client, user)
    draft_id = int(client.post("/proposals/new", data={"organisation": "new"}).headers["Location"].split("/")[2])
    client.post(f"/proposals/{draft_id}/step/1", data=VALID_STEPS[1])
    [event] = db.session.scalars(sa.select(Event).where(Event.kind == "organisation_created")).all()
    assert event.actor_user_id == user.id
    assert event.data["organisation_id"] == db.session.get(Proposal, draft_id).organisation_id
