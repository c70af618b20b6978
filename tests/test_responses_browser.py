"""In Chromium: a department asks the applicant for information, the
applicant replies on their status page (/my/proposals/<reference>), the
department adopts, and the applicant's timeline shows each step."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import department_id, screenshot

from core.audit import Actor
from core.extensions import db
from core.models import OutboxEmail
from proposals import operations
from proposals.models import Proposal, State

PASSWORD = "pw-browser-2026"
QUESTION = "会場の広さと、想定している参加者の人数を教えてください。"
REPLY = "地区会館の大広間で、毎回20人ほどを想定しています。"
ADOPTION = "採択します。宮前区の地域活動支援として来年度から一緒に進めましょう。"


def _applicant_signs_in(page, live_server, applicant, next_path: str) -> None:
    page.goto(f"{live_server.url}/signin?next={next_path}")
    page.fill("input[name=email]", applicant.email)
    page.locator("form button[type=submit]").first.click()
    db.session.expire_all()
    email = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_address == applicant.email,
                                                           OutboxEmail.idempotency_key.startswith("signin:"))
                              .order_by(OutboxEmail.id.desc()))
    link = re.search(r"https?://\S+/signin/link/\S+", email.body_text).group(0)
    page.goto(link)
    page.locator("form button[type=submit]").first.click()


@pytest.mark.browser
def test_request_information_reply_and_adopt_in_the_browser(app, live_server, browser, make_user, make_proposal):
    applicant = make_user("applicant", name="寄合 一子")
    staff = make_user("department_staff", "ward-miyamae", password=PASSWORD, name="宮前 三郎")
    window = make_user("window", "jichi")
    proposal = make_proposal(applicant=applicant, title="宮前区の高齢者サロンとスマホ相談会",
                             issue="一人暮らしの高齢者が増え、地域で孤立しがちです。")
    operations.assign(proposal, department_id("ward-miyamae"), [department_id("kenko-fukushi")],
                      Actor.of_user(window))
    db.session.commit()
    reference = proposal.reference

    # The department: sign in, find the proposal in the inbox, ask a question.
    staff_context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    desk = staff_context.new_page()
    desk.goto(f"{live_server.url}/staff/login")
    desk.fill("input[name=email]", staff.email)
    desk.fill("input[name=password]", PASSWORD)
    desk.get_by_role("button", name="サインイン").click()
    assert desk.url.endswith("/inbox")
    assert desk.get_by_role("link", name="宮前区の高齢者サロンとスマホ相談会").is_visible()
    screenshot(desk, "responses-01-inbox")
    desk.get_by_role("link", name="宮前区の高齢者サロンとスマホ相談会").click()
    assert desk.get_by_text("一人暮らしの高齢者が増え、地域で孤立しがちです。").is_visible()
    screenshot(desk, "responses-02-detail")
    desk.locator("#action-request_info summary").click()
    desk.get_by_role("button", name="提案者に質問を送る").click()  # empty: the error names the field
    assert desk.locator(".error-summary").is_visible()
    assert desk.locator("#action-request_info").get_attribute("open") is not None
    screenshot(desk, "responses-03-question-error")
    desk.fill("#info-question", QUESTION)
    desk.get_by_role("button", name="提案者に質問を送る").click()
    assert desk.get_by_text("追加情報の依頼を送りました").is_visible()
    assert desk.get_by_text("期限停止中").first.is_visible()
    screenshot(desk, "responses-04-question-sent")
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.INFO_REQUESTED

    # The applicant replies on their status page.
    status_path = f"/my/proposals/{reference}"
    applicant_context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    home = applicant_context.new_page()
    _applicant_signs_in(home, live_server, applicant, status_path)
    home.goto(f"{live_server.url}{status_path}")
    assert home.get_by_text(QUESTION).first.is_visible()
    screenshot(home, "responses-05-applicant-question")
    answer_form = home.locator("#answer form") if home.locator("#answer form").count() else \
        home.locator("form:has(textarea[name=body])").first
    answer_form.locator("textarea[name=body]").fill(REPLY)
    answer_form.locator("button[type=submit]").click()
    screenshot(home, "responses-06-applicant-replied")
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.ASSIGNED

    # The department sees the reply and adopts.
    desk.reload()
    assert desk.get_by_text(REPLY).first.is_visible()
    desk.locator("#action-adopt summary").click()
    desk.fill("#adopt-text", ADOPTION)
    desk.fill("#adopt-budget_year", "２０２７")
    desk.check("#adopt-agreement")
    desk.fill("#adopt-agreement_note", "協働事業に関する協定")
    desk.fill("#adopt-next_steps", "12月に区役所で打合せ")
    if desk.locator("#adopt-without_opinions").count():  # a co-department has not given its opinion
        desk.check("#adopt-without_opinions")
    screenshot(desk, "responses-07-adopt-form")
    desk.get_by_role("button", name="採択を登録する").click()
    assert desk.get_by_text("採択を登録し、提案者にお知らせしました").is_visible()
    screenshot(desk, "responses-08-adopted")
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.ADOPTED

    # The applicant's timeline shows each step.
    home.goto(f"{live_server.url}{status_path}")
    timeline = home.content()
    for text in (QUESTION, REPLY, ADOPTION):
        assert text in timeline, text
    screenshot(home, "responses-09-applicant-timeline")
    staff_context.close()
    applicant_context.close()


@pytest.mark.browser
def test_window_dashboard_and_admin_pages_in_the_browser(app, live_server, page, make_user, make_proposal):
    from datetime import date

    from responses.clock import clock, tokyo_moment

    window = make_user("window", "jichi", password=PASSWORD, name="窓口 花子")
    admin = make_user("admin", password=PASSWORD)
    actor = Actor.of_user(window)
    with clock.frozen(tokyo_moment(date(2026, 4, 28), 10)):
        for title, lead in (("多摩川河川敷の清掃", "kankyo"), ("こども食堂のネットワーク", "kodomo-mirai"),
                            ("防災マップづくり", "ward-asao")):
            operations.assign(make_proposal(title=title), department_id(lead), [department_id("ward-miyamae")], actor)
        db.session.commit()
    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=email]", window.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    page.goto(f"{live_server.url}/window/dashboard")
    assert page.get_by_role("heading", name="期限の状況").is_visible()
    assert page.get_by_role("link", name="多摩川河川敷の清掃").first.is_visible()  # overdue (lead and co)
    screenshot(page, "responses-10-window-dashboard")
    page.get_by_role("button", name="サインアウト").click()
    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    page.goto(f"{live_server.url}/admin/deadlines/")
    page.fill("#closed-day", "2026-12-28")
    page.fill("#closed-reason", "庁舎の電気設備点検")
    page.get_by_role("button", name="追加する").click()
    assert page.get_by_text("閉庁日を追加しました").is_visible()
    screenshot(page, "responses-11-closed-days")
