"""The public catalogue: only consented and approved proposals, filters and
search, publication approval by the window with an audit event."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from public_helpers import place

from core.audit import Actor
from core.extensions import db
from core.models import Event
from proposals.models import Proposal
from public.operations import PublicError, set_publication


def _login(client, user, password="correct horse battery"):
    response = client.post("/staff/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def _titles(client, query=""):
    page = client.get("/catalogue" + query)
    assert page.status_code == 200
    return re.sub(r"</?mark>", "", page.get_data(as_text=True))  # search marks the matched words


def test_only_consented_and_approved_proposals_are_listed(client, make_proposal):
    shown = place(make_proposal, title="公開してよい提案")
    place(make_proposal, title="同意のない提案", consent_publish=False, published=False)
    place(make_proposal, title="承認前の提案", published=False)
    place(make_proposal, "draft", title="下書きの提案", published=False)
    page = _titles(client)
    assert "公開してよい提案" in page
    assert "同意のない提案" not in page and "承認前の提案" not in page and "下書きの提案" not in page
    assert client.get(f"/catalogue/{shown.reference}").status_code == 200
    hidden = db.session.scalar(sa.select(Proposal).where(Proposal.title == "承認前の提案"))
    assert client.get(f"/catalogue/{hidden.reference}").status_code == 404


def test_filters_by_ward_theme_status_year_and_kind(client, make_proposal):
    place(make_proposal, title="麻生の防災マップ", wards=("ward-asao",), themes=("disaster",), fy=2024, kind="neighborhood_assoc")
    place(make_proposal, "not_adopted", title="川崎区の日本語教室", wards=("ward-kawasaki",), themes=("multicultural",),
          fy=2025, kind="npo_corp")
    place(make_proposal, "assigned", title="全市のデータ活用", wards=(), scope="citywide", themes=("digital",), fy=2026,
          kind="company", lead="somu-kikaku")

    assert "麻生の防災マップ" in _titles(client, "?ward=ward-asao")
    assert "川崎区の日本語教室" not in _titles(client, "?ward=ward-asao")
    page = _titles(client, "?theme=digital")
    assert "全市のデータ活用" in page and "麻生の防災マップ" not in page
    page = _titles(client, "?status=not_adopted")
    assert "川崎区の日本語教室" in page and "麻生の防災マップ" not in page
    page = _titles(client, "?status=under_review")
    assert "全市のデータ活用" in page and "川崎区の日本語教室" not in page
    page = _titles(client, "?fy=2024")
    assert "麻生の防災マップ" in page and "全市のデータ活用" not in page
    page = _titles(client, "?kind=company")
    assert "全市のデータ活用" in page and "麻生の防災マップ" not in page
    page = _titles(client, "?ward=ward-asao&fy=2025")
    assert "1件" not in page and "0件の提案" in page


def test_search_is_nfkc_normalised_substring(client, make_proposal):
    place(make_proposal, title="ＡＩで見守るシニアサロン", summary="スマホとAIで高齢者を見守ります。")
    place(make_proposal, title="河川敷の清掃", summary="多摩川で清掃をします。")
    # Stored text is NFKC-normalised; a full-width query finds half-width text and the other way round.
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.title.contains("シニア")))
    proposal.title = "AIで見守るシニアサロン"
    db.session.commit()
    assert "AIで見守るシニアサロン" in _titles(client, "?q=ＡＩ")
    assert "河川敷の清掃" not in _titles(client, "?q=ai")
    assert "河川敷の清掃" in _titles(client, "?q=多摩川")
    assert "0件の提案" in _titles(client, "?q=%25")  # a LIKE wildcard is searched literally


@pytest.mark.parametrize("query", ["?page=abc", "?page=999999999", "?fy=abcd", "?status=bogus", "?kind=x",
                                   "?ward=%00", "?q=%00%01", "?theme=%00", "?q=" + "あ" * 500,
                                   "?fy=99999999999999999999"])
def test_bad_filter_values_never_break_the_page(client, query):
    assert client.get("/catalogue" + query).status_code == 200


def test_window_staff_approve_and_withdraw_publication_with_an_audit_event(client, make_user, make_proposal):
    proposal = place(make_proposal, published=False, title="承認を待つ提案")
    window = make_user("window")
    _login(client, window)
    page = client.get("/catalogue/manage").get_data(as_text=True)
    assert "承認を待つ提案" in page
    # Publishing goes through the preview of exactly the public page: without the confirmation, nothing changes.
    response = client.post(f"/catalogue/manage/{proposal.id}", data={"approve": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/catalogue/manage/{proposal.id}/preview")
    db.session.expire_all()
    assert not db.session.get(Proposal, proposal.id).publication_approved
    preview = client.get(f"/catalogue/manage/{proposal.id}/preview").get_data(as_text=True)
    assert "公開前の確認" in preview and "承認を待つ提案" in preview and "この内容で公開する" in preview
    assert f"/triage/{proposal.reference}" in preview  # a link to the proposal itself
    response = client.post(f"/catalogue/manage/{proposal.id}", data={"approve": "1", "confirm": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).publication_approved
    assert "承認を待つ提案" in client.get("/catalogue").get_data(as_text=True)
    client.post(f"/catalogue/manage/{proposal.id}", data={"approve": "0", "reason": "内容の確認のため"})
    db.session.expire_all()
    assert not db.session.get(Proposal, proposal.id).publication_approved
    events = db.session.scalars(sa.select(Event).where(Event.proposal_id == proposal.id,
                                                       Event.kind.like("publication_%")).order_by(Event.id)).all()
    assert [(e.kind, e.actor_user_id) for e in events] == [("publication_approved", window.id),
                                                           ("publication_withdrawn", window.id)]
    assert events[1].comment == "内容の確認のため"


def test_publication_needs_consent_and_the_window(client, make_user, make_proposal):
    no_consent = place(make_proposal, published=False, consent_publish=False)
    window = make_user("window")
    with pytest.raises(PublicError):
        set_publication(no_consent, True, Actor.of_user(window))
    db.session.rollback()
    consented = place(make_proposal, published=False)
    department_user = make_user("department_staff", "ward-miyamae")
    with pytest.raises(PublicError):
        set_publication(consented, True, Actor.of_user(department_user))
    db.session.rollback()
    # Over HTTP the page itself is refused to department staff.
    _login(client, department_user)
    assert client.get("/catalogue/manage").status_code == 403
    assert client.post(f"/catalogue/manage/{consented.id}", data={"approve": "1"}).status_code == 403
    # Refused through the form too: a message, no 500, nothing changes.
    client.post("/signout")
    _login(client, window)
    response = client.post(f"/catalogue/manage/{no_consent.id}", data={"approve": "1", "confirm": "1"},
                           follow_redirects=True)
    assert "公開に同意していない" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Proposal, no_consent.id).publication_approved


def test_proposal_page_shows_outcome_and_evaluation(client, make_proposal, make_user):
    from datetime import date

    from public.models import Evaluation, ExitReached, ReviewDecision

    proposal = place(make_proposal, "evaluated", title="評価まで進んだ提案")
    db.session.add(Evaluation(proposal_id=proposal.id, implementation_start=date(2024, 4, 1),
                              implementation_end=date(2026, 3, 31),
                              indicators=[{"name": "参加者数", "target": "300", "actual": "412"}],
                              exit_reached=ExitReached.REACHED, review_decision=ReviewDecision.COMMISSION,
                              reviewed_on=date(2026, 5, 20), summary="目標を上回りました。"))
    db.session.commit()
    page = client.get(f"/catalogue/{proposal.reference}").get_data(as_text=True)
    for text in ("区の計画と一致するため採択します。", "参加者数", "412", "達成した", "委託へ移行する", "2026年5月20日",
                 "目標を上回りました。"):
        assert text in page
    client.get("/lang/en")
    page = client.get(f"/catalogue/{proposal.reference}").get_data(as_text=True)
    assert "Hand over to a commission" in page and "Evaluation" in page


def test_only_eligible_proposals_are_offered_and_the_lead_is_told(client, make_user, make_proposal):
    from core.models import OutboxEmail

    eligible = place(make_proposal, "assigned", published=False, title="公開できる提案")
    for state, title in (("withdrawn", "取り下げた提案"), ("not_adopted", "不採択の提案")):
        place(make_proposal, state, published=False, title=title)
    window = make_user("window")
    ward = make_user("department_staff", "ward-miyamae")
    _login(client, window)
    page = client.get("/catalogue/manage").get_data(as_text=True)
    assert "公開できる提案" in page
    for title in ("取り下げた提案", "不採択の提案"):
        assert title not in page
    client.post(f"/catalogue/manage/{eligible.id}", data={"approve": "1", "confirm": "1"})
    told = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == ward.email)).all()
    assert any("公開カタログに掲載されました" in e.subject for e in told)
