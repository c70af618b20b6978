"""Issue 6 point 8 across the rooms, in Chromium: an applicant follows a
proposal from submission to adoption on their status page while the
window assigns it (triage desk) and the department adopts it (inbox); the
window publishes it; a member of the public from another ward finds it in
the catalogue and sees it in the statistics.

It needs the intake, routing and responses rooms' pages; on a branch
without them it is skipped (the public half alone is
tests/test_public_browser.py)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import screenshot

from core.extensions import db
from core.models import OutboxEmail
from proposals.models import Proposal, State

pytestmark = pytest.mark.browser
PASSWORD = "journey pass 2026"
TITLE = "多摩区・登戸の高齢者サロンと健康体操"
ADOPTION = "多摩区の地域包括ケアの取組として、来年度から区役所と協働で実施します。"


def _new_page(browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    return context, context.new_page()


def _staff_signs_in(page, base, user):
    page.goto(base + "/staff/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="サインイン").click()


def _applicant_signs_in(page, base, email, next_path):
    page.goto(f"{base}/signin?next={next_path}")
    page.fill("input[name=email]", email)
    page.locator("form button[type=submit]").first.click()
    db.session.expire_all()
    mail = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_address == email,
                                                          OutboxEmail.idempotency_key.startswith("signin:"))
                             .order_by(OutboxEmail.id.desc()))
    page.goto(re.search(r"https?://\S+/signin/link/\S+", mail.body_text).group(0))
    page.locator("form button[type=submit]").first.click()


def _status(page, base, path):
    page.goto(base + path)
    return page.locator(".intake-state-label").inner_text()


def test_applicant_follows_to_adoption_and_the_public_finds_it(app, browser, live_server, make_user, make_proposal):
    from routing.seed import seed_routing

    seed_routing()
    db.session.commit()
    base = live_server.url
    applicant = make_user("applicant", email="salon-noborito@example.org", name="登戸 花子")
    window = make_user("window", password=PASSWORD, name="窓口 花子")
    tama = make_user("department_staff", "ward-tama", password=PASSWORD, name="多摩 太郎")
    # Submitted through the intake operation (the form itself is intake's own browser journey).
    proposal = make_proposal(applicant=applicant, title=TITLE, wards=("ward-tama",), themes=("welfare-elderly",),
                             summary="登戸の集会所で、高齢者のサロンと健康体操の教室を毎週開きます。",
                             consent_publish=True, consent_version=2, partners_wanted=["university"])
    reference, status_path = proposal.reference, f"/my/proposals/{proposal.reference}"

    applicant_context, home = _new_page(browser)
    _applicant_signs_in(home, base, applicant.email, status_path)
    assert _status(home, base, status_path) == "受付済み"
    screenshot(home, "public-journey-01-applicant-received")

    # The window confirms the routing on the triage desk.
    window_context, desk = _new_page(browser)
    _staff_signs_in(desk, base, window)
    desk.goto(f"{base}/triage/{reference}")
    desk.get_by_role("button", name="確認して割り当てる").click()
    assert "担当部署に割り当てました" in desk.locator(".notice-success").inner_text()
    assert _status(home, base, status_path) == "担当部署で検討中"
    assert "多摩区役所" in home.content()
    screenshot(home, "public-journey-02-applicant-under-review")

    # The ward office acknowledges and adopts in its inbox.
    office_context, office = _new_page(browser)
    _staff_signs_in(office, base, tama)
    office.get_by_role("link", name=TITLE).click()
    office.get_by_role("button", name="受領・検討開始を登録する").click()
    office.locator("#action-adopt summary").click()
    office.fill("#adopt-text", ADOPTION)
    office.fill("#adopt-budget_year", "２０２７")
    office.fill("#adopt-next_steps", "2月末までに実施計画書と見積書をご提出ください")
    if office.locator("#adopt-without_opinions").count():  # co-departments the routing added have not answered
        office.check("#adopt-without_opinions")
    office.get_by_role("button", name="採択を登録する").click()
    assert office.get_by_text("採択を登録し、提案者にお知らせしました").is_visible()
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.ADOPTED
    assert _status(home, base, status_path) == "採択"
    assert ADOPTION in home.content()
    screenshot(home, "public-journey-03-applicant-adopted")

    # The window publishes it (the applicant consented).
    desk.goto(f"{base}/catalogue/manage")
    desk.get_by_role("link", name=f"{reference} の公開ページを確認する").click()
    assert desk.get_by_role("heading", name="公開前の確認").is_visible()
    desk.get_by_role("button", name="この内容で公開する").click()
    assert f"{reference} を公開しました" in desk.locator(".notice-success").inner_text()

    # A member of the public from another ward finds it and sees it counted.
    public_context, visitor = _new_page(browser)
    visitor.goto(base + "/catalogue")
    visitor.get_by_label("区", exact=True).select_option(label="多摩区")
    visitor.get_by_label("状況", exact=True).select_option(label="採択")
    visitor.get_by_role("button", name="この条件で探す").click()
    visitor.get_by_role("link", name=TITLE).click()
    assert ADOPTION in visitor.get_by_role("region", name="結果").inner_text()
    assert applicant.email not in visitor.content() and "登戸 花子" not in visitor.content()
    screenshot(visitor, "public-journey-04-public-page")
    visitor.goto(base + "/stats")
    row = visitor.locator("#table-wards tr[data-code='ward-tama'] td").all_inner_texts()
    assert row[:2] == ["1", "1"]
    tama_times = visitor.locator("#table-departments tr[data-code='ward-tama'] td").all_inner_texts()
    assert tama_times[0] == "1" and tama_times[3] == "1"  # acknowledged once, answered once
    screenshot(visitor, "public-journey-05-stats")
    # The applicant was emailed once for each change on their public timeline: assigned,
    # acknowledged, adopted, published (the submission had its confirmation).
    db.session.expire_all()
    news = db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.to_address == applicant.email, OutboxEmail.idempotency_key.startswith("intake:event:"))
        .order_by(OutboxEmail.id)).all()
    subjects = [email.subject for email in news]
    assert len(subjects) == 4, subjects
    assert "担当部署が提案を受け取りました" in subjects[1] and "公開カタログに掲載されました" in subjects[3]
    assert all(status_path in email.body_text for email in news)
    for context in (applicant_context, window_context, office_context, public_context):
        context.close()
