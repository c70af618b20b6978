"""In Chromium (issue 11, item 8): an applicant writes a proposal, sees on
the review step that another organisation published a similar one looking
for partners, and expresses interest through the partner-interest flow."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import screenshot
from public_helpers import place

from core.extensions import db
from core.models import Event, OutboxEmail
from public.models import InterestStatus, PartnerInterest

pytestmark = pytest.mark.browser


def _signs_in(page, live_server, email: str) -> None:
    """Through the emailed one-time link, as an applicant does."""
    page.goto(f"{live_server.url}/signin?next=/proposals/new")
    page.fill("input[name=email]", email)
    page.locator("form button[type=submit]").first.click()
    db.session.expire_all()
    sent = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_address == email,
                                                          OutboxEmail.idempotency_key.startswith("signin:"))
                             .order_by(OutboxEmail.id.desc()))
    page.goto(re.search(r"https?://\S+/signin/link/\S+", sent.body_text).group(0))
    page.locator("form button[type=submit]").first.click()


def test_applicant_sees_a_similar_published_proposal_on_review_and_expresses_interest(
        live_server, page, make_user, make_proposal):
    seeker = make_user("applicant", email="seeker@example.org", name="募集 花子")
    published = place(make_proposal, "in_progress", applicant=seeker, title="宮前区のシニア向けスマホ相談会",
                      summary="高齢者にスマートフォンの使い方を教える相談会を団地の集会所で開きます。",
                      issue="スマホを使えない高齢者が行政の手続きや家族との連絡に困っています。",
                      partners_wanted=["company", "university"], contact_email="seeker-contact@example.org")
    place(make_proposal, "in_progress", title="多摩川の河川敷清掃", summary="ごみを拾います。",
          partners_wanted=["company"])
    unpublished = place(make_proposal, "in_progress", title="お年寄りのスマホ教室", published=False,
                        summary="高齢者にスマホの使い方を教えます。", partners_wanted=["company"])

    applicant = make_user("applicant", email="kaisha@example.co.jp", name="連携 次郎")
    draft = make_proposal(state="draft", applicant=applicant, title="", summary="", issue="", activities="",
                          outcomes="")
    _signs_in(page, live_server, applicant.email)

    # The applicant writes the content of their proposal.
    page.goto(f"{live_server.url}/proposals/{draft.id}/step/3")
    page.fill("#title", "高齢者のスマホ教室を商店街で")
    page.fill("#summary", "商店街の空き店舗で、お年寄りにスマートフォンの使い方を教えます。")
    page.fill("#issue", "高齢者がスマホの操作に慣れず、キャッシュレス決済や行政の手続きに困っています。")
    page.fill("#activities", "毎週水曜日に社員がスマホの相談を受けます。")
    page.fill("#outcomes", "参加した高齢者の人数で測ります。")
    page.get_by_role("button", name="保存して次へ").click()
    page.goto(f"{live_server.url}/proposals/{draft.id}/review")

    panel = page.get_by_role("region", name="似た内容の公開提案")
    assert panel.is_visible()
    assert "宮前区のシニア向けスマホ相談会" in panel.inner_text() and "スマホ" in panel.inner_text()
    assert unpublished.title not in panel.inner_text()  # published proposals only
    screenshot(page, "search-01-review-similar")

    panel.get_by_role("link", name=re.compile("この団体と一緒に取り組みたい.*宮前区のシニア向けスマホ相談会")).click()
    page.wait_for_url(f"**/partners/{published.reference}/interest")
    assert page.locator("#contact_email").input_value() == applicant.email  # filled in from the account
    page.fill("#organisation_name", "株式会社かわさきデジタル")
    page.locator("#organisation_kind").select_option("company")
    page.fill("#offer", "社員がスマホ相談の講師として協力できます。")
    screenshot(page, "search-02-interest-form")
    page.get_by_role("button", name="関心を伝える").click()
    page.wait_for_url("**/partners/interests")
    assert "関心を伝えました" in page.locator("main").inner_text()

    db.session.expire_all()
    interest = db.session.scalars(sa.select(PartnerInterest)).one()
    assert interest.proposal_id == published.id and interest.status == InterestStatus.PENDING
    assert interest.organisation_name == "株式会社かわさきデジタル" and interest.contact_email == applicant.email
    assert db.session.scalar(sa.select(Event.kind).where(Event.proposal_id == published.id,
                                                         Event.kind == "partner_interest_expressed"))
