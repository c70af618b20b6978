"""Partners wanted: browse by theme and ward, express interest through the
platform, contacts exchanged by email only when both agree."""

from __future__ import annotations

import sqlalchemy as sa
from public_helpers import place, sign_in_applicant

from core.extensions import db
from core.models import Event, OutboxEmail
from public.models import InterestStatus, PartnerInterest

OFFER = {
    "organisation_name": "ＫＡＷＡＳＡＫＩ大学 地域連携センター",
    "organisation_kind": "university",
    "offer": "学生ボランティアと調査の手法で協力できます。",
    "contact_name": "連携 太郎",
    "contact_email": "Renkei@Example.AC.JP",
    "contact_phone": "０４４－１２３－４５６７",
}


def _seeker(make_user, make_proposal, **fields):
    applicant = make_user("applicant", email="seeker@example.org", name="募集 花子")
    defaults = dict(title="麻生の里山で環境学習", wards=("ward-asao",), themes=("environment",),
                    partners_wanted=["university", "company"], contact_name="募集 花子",
                    contact_email="seeker-contact@example.org", contact_phone="044-999-0000")
    defaults.update(fields)
    return place(make_proposal, "in_progress", applicant=applicant, **defaults)


def test_browse_by_theme_ward_and_partner_kind(client, make_user, make_proposal):
    _seeker(make_user, make_proposal)
    place(make_proposal, "assigned", title="川崎区の商店街", wards=("ward-kawasaki",), themes=("industry",),
          partners_wanted=["company"])
    place(make_proposal, "assigned", title="募集していない提案", partners_wanted=[])
    place(make_proposal, "not_adopted", title="終わった提案", partners_wanted=["company"])
    place(make_proposal, "assigned", title="非公開の募集", partners_wanted=["company"], published=False)
    page = client.get("/partners").get_data(as_text=True)
    assert "麻生の里山で環境学習" in page and "川崎区の商店街" in page
    assert "募集していない提案" not in page and "終わった提案" not in page and "非公開の募集" not in page
    assert "川崎区の商店街" not in client.get("/partners?ward=ward-asao").get_data(as_text=True)
    assert "麻生の里山で環境学習" not in client.get("/partners?theme=industry").get_data(as_text=True)
    page = client.get("/partners?kind=university").get_data(as_text=True)
    assert "麻生の里山で環境学習" in page and "川崎区の商店街" not in page
    assert client.get("/partners?kind=bogus&page=x").status_code == 200


def test_interest_then_acceptance_exchanges_contacts_by_email(app, client, make_user, make_proposal):
    proposal = _seeker(make_user, make_proposal)
    partner = make_user("applicant", email="partner@example.ac.jp", name="連携 太郎")
    assert client.get(f"/partners/{proposal.reference}/interest").status_code == 302  # sign in first
    sign_in_applicant(app, client, partner.email)
    form = client.get(f"/partners/{proposal.reference}/interest").get_data(as_text=True)
    assert "seeker-contact@example.org" not in form and "044-999-0000" not in form
    response = client.post(f"/partners/{proposal.reference}/interest", data=OFFER)
    assert response.status_code == 302
    interest = db.session.scalars(sa.select(PartnerInterest)).one()
    assert interest.organisation_name == "KAWASAKI大学 地域連携センター"  # NFKC
    assert interest.contact_email == "renkei@example.ac.jp" and interest.contact_phone == "044-123-4567"
    notice = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == "seeker@example.org")).one()
    assert "関心が届きました" in notice.subject and "/partners/interests" in notice.body_text
    assert "renkei@example.ac.jp" not in notice.body_text  # no contact before the proposer agrees
    # Twice is refused, politely.
    again = client.post(f"/partners/{proposal.reference}/interest", data=OFFER)
    assert "すでに関心を伝えています" in again.get_data(as_text=True)
    # The interested side does not see the proposer's contact while pending.
    assert "seeker-contact@example.org" not in client.get("/partners/interests").get_data(as_text=True)

    client.post("/signout")
    sign_in_applicant(app, client, "seeker@example.org")
    page = client.get("/partners/interests").get_data(as_text=True)
    assert "学生ボランティアと調査の手法で協力できます。" in page and "renkei@example.ac.jp" not in page
    client.post(f"/partners/interests/{interest.id}/respond", data={"decision": "accept"})
    db.session.refresh(interest)
    assert interest.status == InterestStatus.ACCEPTED
    to_partner = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_address == "renkei@example.ac.jp"))
    assert "seeker-contact@example.org" in to_partner.body_text and "044-999-0000" in to_partner.body_text
    to_seeker = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_address == "seeker-contact@example.org"))
    assert "renkei@example.ac.jp" in to_seeker.body_text and "044-123-4567" in to_seeker.body_text
    assert "renkei@example.ac.jp" in client.get("/partners/interests").get_data(as_text=True)
    kinds = set(db.session.scalars(sa.select(Event.kind).where(Event.proposal_id == proposal.id)))
    assert {"partner_interest_expressed", "partner_interest_accepted"} <= kinds
    # Answering twice is refused, and nobody else may answer.
    client.post(f"/partners/interests/{interest.id}/respond", data={"decision": "decline"})
    db.session.refresh(interest)
    assert interest.status == InterestStatus.ACCEPTED


def test_declining_shares_nothing_and_tells_the_other_side(app, client, make_user, make_proposal):
    proposal = _seeker(make_user, make_proposal)
    partner = make_user("applicant", email="company@example.co.jp", name="企業 次郎")
    sign_in_applicant(app, client, partner.email)
    client.post(f"/partners/{proposal.reference}/interest", data={**OFFER, "contact_email": "company@example.co.jp"})
    interest = db.session.scalars(sa.select(PartnerInterest)).one()
    # The interested side cannot answer its own interest.
    assert client.post(f"/partners/interests/{interest.id}/respond", data={"decision": "accept"}).status_code == 404
    client.post("/signout")
    sign_in_applicant(app, client, "seeker@example.org")
    client.post(f"/partners/interests/{interest.id}/respond", data={"decision": "decline"})
    db.session.refresh(interest)
    assert interest.status == InterestStatus.DECLINED
    declined = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_address == "company@example.co.jp",
                                                              OutboxEmail.idempotency_key.like("partner-%")))
    assert "見送る" in declined.body_text and "seeker-contact@example.org" not in declined.body_text
    assert db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_address == "seeker-contact@example.org")) is None


def test_own_proposal_and_withdrawal(app, client, make_user, make_proposal):
    proposal = _seeker(make_user, make_proposal)
    sign_in_applicant(app, client, "seeker@example.org")
    response = client.get(f"/partners/{proposal.reference}/interest")
    assert response.status_code == 302 and response.headers["Location"].endswith("/partners/interests")
    client.post("/signout")
    partner = make_user("applicant", email="np@example.org")
    sign_in_applicant(app, client, partner.email)
    bad = client.post(f"/partners/{proposal.reference}/interest", data={**OFFER, "offer": "", "contact_email": "x"})
    page = bad.get_data(as_text=True)
    assert "協力できることを入力してください。" in page and "メールアドレスの形式が正しくありません" in page
    client.post(f"/partners/{proposal.reference}/interest", data={**OFFER, "offer": "協力\x00します\n2行目"})
    interest = db.session.scalars(sa.select(PartnerInterest)).one()
    assert interest.offer == "協力します\n2行目"  # NUL dropped (PostgreSQL refuses it), line breaks kept
    client.post(f"/partners/interests/{interest.id}/withdraw")
    db.session.refresh(interest)
    assert interest.status == InterestStatus.WITHDRAWN
    # After withdrawing, a new interest may be sent.
    assert client.post(f"/partners/{proposal.reference}/interest", data=OFFER).status_code == 302
    unpublished = place(make_proposal, "assigned", partners_wanted=["company"], published=False)
    assert client.get(f"/partners/{unpublished.reference}/interest").status_code == 404


def test_the_proposing_organisation_marks_the_partners_it_seeks(app, client, make_user, make_proposal):
    proposal = _seeker(make_user, make_proposal, partners_wanted=[])
    assert "麻生の里山で環境学習" not in client.get("/partners").get_data(as_text=True)
    stranger = make_user("applicant", email="stranger@example.org")
    sign_in_applicant(app, client, stranger.email)
    assert client.get(f"/partners/wanted/{proposal.reference}").status_code == 404
    client.post("/signout")
    sign_in_applicant(app, client, "seeker@example.org")
    assert "変更する" in client.get("/partners/interests").get_data(as_text=True)
    page = client.get(f"/partners/wanted/{proposal.reference}").get_data(as_text=True)
    assert 'value="school"' in page
    response = client.post(f"/partners/wanted/{proposal.reference}", data={"kinds": ["school", "company"]})
    assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.partners_wanted == ["company", "school"]  # in the reference order
    event = db.session.scalar(sa.select(Event).where(Event.kind == "partners_wanted_changed"))
    assert event.data == {"from": [], "to": ["company", "school"]}
    assert "麻生の里山で環境学習" in client.get("/partners?kind=school").get_data(as_text=True)
    bad = client.post(f"/partners/wanted/{proposal.reference}", data={"kinds": ["aliens"]})
    assert bad.status_code == 200 and "一覧にある選択肢から選んでください。" in bad.get_data(as_text=True)


def test_the_applicants_own_pages_lead_to_partner_search_and_interests(app, client, make_user, make_proposal):
    """/my and the status page link to the interests and the partners-wanted
    page, with the number of interests waiting for an answer."""
    proposal = _seeker(make_user, make_proposal)
    finished = place(make_proposal, "not_adopted", applicant=proposal.created_by, partners_wanted=["company"])
    partner = make_user("applicant", email="partner@example.ac.jp")
    sign_in_applicant(app, client, partner.email)
    client.post(f"/partners/{proposal.reference}/interest", data=OFFER)
    client.post("/signout")

    sign_in_applicant(app, client, "seeker@example.org")
    mine = client.get("/my").get_data(as_text=True)
    assert 'href="/partners/interests"' in mine and "パートナー募集と関心表明" in mine
    assert "回答を待っている関心表明が1件あります" in mine
    status = client.get(f"/my/proposals/{proposal.reference}").get_data(as_text=True)
    assert f'href="/partners/wanted/{proposal.reference}"' in status and 'href="/partners/interests"' in status
    assert "大学・研究機関" in status and "回答を待っている関心表明が1件あります" in status
    # A finished proposal looks for nobody: no partner block.
    done = client.get(f"/my/proposals/{finished.reference}").get_data(as_text=True)
    assert "/partners/wanted/" not in done
    # And back: the partners-wanted page and the interests list lead to the status page.
    assert f'href="/my/proposals/{proposal.reference}"' in client.get(
        f"/partners/wanted/{proposal.reference}").get_data(as_text=True)
    assert f'href="/my/proposals/{proposal.reference}"' in client.get("/partners/interests").get_data(as_text=True)
    # Once answered, nothing waits any more.
    interest = db.session.scalars(sa.select(PartnerInterest)).one()
    client.post(f"/partners/interests/{interest.id}/respond", data={"decision": "accept"})
    assert "回答を待っている関心表明" not in client.get("/my").get_data(as_text=True)
    # The interested side sees the link too (what it sent), without a pending count of its own.
    client.post("/signout")
    sign_in_applicant(app, client, partner.email)
    page = client.get("/my").get_data(as_text=True)
    assert 'href="/partners/interests"' in page and "回答を待っている関心表明" not in page


def test_partner_emails_follow_each_persons_settings(app, client, make_user, make_proposal):
    """A member who turned off news at /my/settings hears nothing of a new
    interest; an interested side that turned it off gets no email when the
    proposer accepts, but finds the contact on /partners/interests."""
    from core.models import Membership, User

    proposal = _seeker(make_user, make_proposal)
    quiet = make_user("applicant", email="quiet-member@example.org")
    db.session.add(Membership(user=quiet, organisation_id=proposal.organisation_id))
    partner = make_user("applicant", email="partner@example.ac.jp")
    db.session.commit()
    sign_in_applicant(app, client, quiet.email)
    assert client.post("/my/settings", data={"messages": "y", "locale": "ja"}).status_code == 302  # news off
    client.post("/signout")

    sign_in_applicant(app, client, partner.email)
    client.post("/my/settings", data={"messages": "y", "locale": "ja"})
    client.post(f"/partners/{proposal.reference}/interest", data=OFFER)
    notices = db.session.scalars(sa.select(OutboxEmail.to_address).where(
        OutboxEmail.idempotency_key.like("partner-interest:%"))).all()
    assert notices == ["seeker@example.org"]  # the member who wants news, not the quiet one
    assert db.session.get(User, partner.id).notification_settings["public_changes"] is False
    client.post("/signout")

    sign_in_applicant(app, client, "seeker@example.org")
    interest = db.session.scalars(sa.select(PartnerInterest)).one()
    client.post(f"/partners/interests/{interest.id}/respond", data={"decision": "accept"})
    matched = db.session.scalars(sa.select(OutboxEmail.idempotency_key).where(
        OutboxEmail.idempotency_key.like("partner-matched:%"))).all()
    assert matched == [f"partner-matched:{interest.id}:proposer"]  # not to the partner, who opted out
    client.post("/signout")
    sign_in_applicant(app, client, partner.email)
    assert "seeker-contact@example.org" in client.get("/partners/interests").get_data(as_text=True)
