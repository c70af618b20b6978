"""A person fills the proposal form in real Chromium, in Japanese with
full-width digits, makes two mistakes and corrects them, uploads a PDF,
confirms their email, submits, and follows the emailed tracking link."""

from __future__ import annotations

import re

import pytest
from conftest import screenshot
from intake_helpers import tiny_pdf

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "admin-pass-123456"


def _admin_page(browser, live_server, admin):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/staff/login")
    page.fill("#email", admin.email)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit].button-primary")
    return context, page


def _open_latest_email(admin_page, live_server, to: str, subject_part: str, shot: str) -> str:
    admin_page.goto(f"{live_server.url}/admin/outbox?to={to}")
    admin_page.get_by_role("link", name=re.compile(subject_part)).first.click()
    screenshot(admin_page, shot)
    body = admin_page.locator("pre.email-body").inner_text()
    return re.search(r"(http://\S+)", body).group(1)


def test_applicant_journey_in_japanese_with_full_width_digits(page, browser, live_server, make_user, tmp_path):
    admin = make_user("admin", password=ADMIN_PASSWORD)
    base = live_server.url
    email = "tanaka-npo@example.jp"

    # 1. Start: email first (nothing typed is ever lost after this point).
    page.goto(base + "/")
    page.get_by_role("link", name="提案をはじめる").first.click()
    assert page.url.endswith("/proposals/new")
    screenshot(page, "intake-01-start")
    page.fill("#email", "ｔａｎａｋａ－ｎｐｏ＠ｅｘａｍｐｌｅ．ｊｐ")
    page.get_by_role("button", name="はじめる").click()
    assert "/step/1" in page.url
    assert email in page.locator(".notice-success").inner_text()

    # 2. Organisation, with mistake 1: a corporate number with a wrong check digit.
    page.fill("#name", "ＮＰＯ法人たかつ子ども応援団")
    page.fill("#name_kana", "タカツコドモオウエンダン")
    page.check("#kind-0")
    page.fill("#representative", "理事長　高津　花子")
    page.fill("#corporate_number", "１０００－０１２０－５０００２")
    page.fill("#postal_code", "２１３－０００１")
    page.fill("#address", "川崎市高津区溝口１－２－３")
    page.fill("#phone", "０４４－８１２－３４５６")
    page.fill("#founded_year", "平成２７年")
    page.fill("#member_count", "２５人")
    screenshot(page, "intake-02-organisation-filled")
    page.get_by_role("button", name="保存して次へ").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "法人番号" in summary.inner_text()
    assert page.locator("#corporate_number").input_value() == "１０００－０１２０－５０００２"  # kept as typed
    assert page.locator("#name").input_value() == "NPO法人たかつ子ども応援団"  # normalised, not lost
    screenshot(page, "intake-03-mistake-corporate-number")
    summary.get_by_role("link").first.click()
    page.fill("#corporate_number", "７０００－０１２０－５０００２")  # the real check digit
    page.get_by_role("button", name="保存して次へ").click()
    assert "/step/2" in page.url

    # 3. Contact (full-width digits, katakana long-vowel marks as hyphens).
    page.fill("#contact_name", "高津　一郎")
    page.fill("#contact_email", email)
    page.fill("#contact_phone", "０９０ー１２３４ー５６７８")
    screenshot(page, "intake-04-contact")
    page.get_by_role("button", name="保存して次へ").click()
    assert "/step/3" in page.url

    # 4. Content.
    page.fill("#title", "高津区の子ども食堂と学習支援")
    page.fill("#summary", "放課後の子どもに、食事と学習の場を用意します。")
    page.fill("#issue", "共働き家庭が増え、放課後にひとりで過ごす子どもが増えています。")
    page.fill("#activities", "週２回、地域の集会所で夕食と宿題の時間を用意します。")
    page.fill("#outcomes", "参加人数と保護者アンケートで測ります。")
    page.get_by_role("button", name="保存して次へ").click()
    assert "/step/4" in page.url

    # 5. Area, with mistake 2: "one ward" but two wards ticked.
    page.check("#scope-0")
    page.check("input[name=wards][value=ward-takatsu]")
    page.check("input[name=wards][value=ward-miyamae]")
    page.check("input[name=themes][value=child-poverty]")
    page.check("input[name=themes][value=youth]")
    page.check("#stage-1")
    page.get_by_role("button", name="保存して次へ").click()
    assert "活動する区" in page.locator(".error-summary").inner_text()
    assert page.locator("input[name=themes][value=youth]").is_checked()  # choices kept
    screenshot(page, "intake-05-mistake-wards")
    page.uncheck("input[name=wards][value=ward-miyamae]")
    page.get_by_role("button", name="保存して次へ").click()
    assert "/step/5" in page.url

    # 6. Plan: amounts as ８０万円 and ３０万円, exit strategy with its help.
    page.check("input[name=support_requested][value=venue]")
    page.check("input[name=support_requested][value=publicity]")
    page.check("input[name=partners_wanted][value=university]")
    page.fill("#budget_total", "８０万円")
    page.fill("#budget_requested", "３０万円")
    page.fill("#period_start", "2027-04-01")
    page.fill("#period_end", "2028-03-31")
    page.locator("details.intake-help summary").click()
    page.check("#exit_strategy-1")
    page.fill("#exit_note", "２年目以降は参加費と企業協賛で自走する")
    screenshot(page, "intake-06-plan")
    page.get_by_role("button", name="保存して次へ").click()
    assert "/step/6" in page.url

    # 7. Files: a file over 10 MB is refused on the page before it is sent; then a real PDF.
    big = tmp_path / "大きな写真.pdf"
    big.write_bytes(tiny_pdf() + b"%" * (10 * 1024 * 1024 + 1))
    page.set_input_files("#files", str(big))
    guard = page.locator("#files-error")
    assert guard.is_visible() and "大きな写真.pdf" in guard.inner_text() and "10MB" in guard.inner_text()
    screenshot(page, "intake-07a-file-too-large")
    pdf = tmp_path / "事業計画書.pdf"
    pdf.write_bytes(tiny_pdf())
    page.set_input_files("#files", str(pdf))
    page.get_by_role("button", name="ファイルを追加する").click()
    assert "事業計画書.pdf" in page.locator(".intake-files").inner_text()
    screenshot(page, "intake-07-file-uploaded")
    page.get_by_role("button", name="確認画面へ進む").click()
    assert "/review" in page.url

    # 8. Review: normalised values; submitting waits for the email check.
    review = page.locator("main").inner_text()
    for expected in ("7000012050002", "213-0001", "044-812-3456", "090-1234-5678", "800,000", "300,000", "2015",
                     "高津区", "事業計画書.pdf"):
        assert expected in review, expected
    screenshot(page, "intake-08-review-needs-email")

    # 9. The sign-in link from the outbox brings the person back to the review.
    admin_context, admin_page = _admin_page(browser, live_server, admin)
    link = _open_latest_email(admin_page, live_server, email, "サインイン", "intake-09-outbox-signin-email")
    page.goto(link)
    page.get_by_role("button", name="サインインする").click()
    assert "/review" in page.url
    page.check("#consent_privacy")
    page.check("#consent_publish")
    screenshot(page, "intake-10-review-signed-in")
    page.get_by_role("button", name="この内容で提出する").click()

    # 10. Confirmation with a reference number.
    assert "/submitted" in page.url
    reference = page.locator(".intake-reference").inner_text()
    assert re.fullmatch(r"KW-\d{4}-\d{6}", reference)
    screenshot(page, "intake-11-submitted")

    # 11. The confirmation email has the tracking link; it opens the status page.
    tracking = _open_latest_email(admin_page, live_server, email, "受付番号", "intake-12-outbox-confirmation")
    assert tracking.endswith(f"/my/proposals/{reference}")
    page.goto(tracking)
    assert page.locator("h1").inner_text() == "高津区の子ども食堂と学習支援"
    assert "受付済み" in page.locator(".intake-status-card").inner_text()
    assert "提案を受け付けました" in page.locator(".timeline").inner_text()
    screenshot(page, "intake-13-status")
    admin_context.close()


def test_phone_sized_viewport(app, browser, live_server, make_user, make_proposal):
    """The same form on a 390 × 844 phone screen: readable, nothing cut off."""
    from core.auth import issue_signin_link
    from core.extensions import db

    applicant = make_user("applicant", email="phone@example.jp")
    proposal = make_proposal(applicant=applicant)
    with app.test_request_context():
        token = issue_signin_link(applicant.email, "/proposals/new")
        db.session.commit()
    context = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/signin/link/{token}")
    page.get_by_role("button", name="サインインする").click()
    assert page.url.endswith("/proposals/new")
    screenshot(page, "intake-20-phone-start")
    page.check("#organisation-1")  # 新しい団体として提案する
    page.get_by_role("button", name="新しく提案を書きはじめる").click()
    page.get_by_role("button", name="保存して次へ").click()  # empty: errors, nothing lost
    page.locator(".error-summary").wait_for(state="visible")  # after the post's answer, however slow the machine
    screenshot(page, "intake-21-phone-step1-errors")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    page.goto(f"{live_server.url}/proposals/{proposal.id + 1}/step/4")
    screenshot(page, "intake-22-phone-area")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server.url}/my/proposals/{proposal.reference}")
    screenshot(page, "intake-23-phone-status")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server.url}/lang/en?next=/proposals/{proposal.id + 1}/step/5")
    assert page.locator("h1").inner_text() == "Support, budget and period"
    screenshot(page, "intake-24-phone-english-plan")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_status_page_messages_answer_and_withdraw(app, browser, live_server, make_user, make_proposal, tmp_path):
    """Issue 6 point 1 in the browser: a department's question, the answer
    with a file, a threaded reply, then withdrawal with a reason."""
    import sqlalchemy as sa
    from conftest import department_id

    from core.audit import Actor
    from core.auth import issue_signin_link
    from core.extensions import db
    from core.models import Department
    from proposals import operations
    from proposals.models import State

    applicant = make_user("applicant", email="status@example.jp", name="寄合 一子")
    proposal = make_proposal(applicant=applicant)
    window = make_user("window")
    staff = make_user("department_staff", "ward-miyamae", name="宮前 三郎")
    miyamae = db.session.scalar(sa.select(Department).where(Department.code == "ward-miyamae"))
    miyamae.public_contact = "宮前区役所 地域振興課（044-856-3125）"
    operations.assign(proposal, miyamae.id, [department_id("kenko-fukushi")], Actor.of_user(window))
    operations.post_message(proposal, Actor.of_user(staff), "会場の広さと、参加予定の人数を教えてください。",
                            department_id=miyamae.id)
    operations.transition(proposal, State.INFO_REQUESTED, Actor.of_user(staff),
                          comment="昨年度の活動報告書を添付してください。")
    db.session.commit()
    with app.test_request_context():
        token = issue_signin_link(applicant.email, f"/my/proposals/{proposal.reference}")
        db.session.commit()

    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/signin/link/{token}")
    page.get_by_role("button", name="サインインする").click()
    card = page.locator(".intake-status-card")
    assert "追加情報をお待ちしています" in card.inner_text()
    assert "宮前区役所 地域振興課" in page.locator("main").inner_text()
    assert "宮前 三郎" not in page.content()
    screenshot(page, "intake-30-status-info-requested")

    report = tmp_path / "活動報告書.pdf"
    report.write_bytes(tiny_pdf("report"))
    page.fill("#answer textarea", "昨年度の報告書を添付します。")
    page.set_input_files("#answer input[type=file]", str(report))
    page.get_by_role("button", name="回答を送る").click()
    assert "担当部署で検討中" in page.locator(".intake-status-card").inner_text()
    assert "追加情報への回答を受け取り" in page.locator(".timeline").inner_text()

    page.get_by_role("link", name="このメッセージに返信する").first.click()
    page.fill("#message_body", "会場は３０人まで入れます。")
    page.get_by_role("button", name="送信する").click()
    thread = page.locator(".intake-thread")
    assert "30人" in thread.inner_text()
    screenshot(page, "intake-31-status-answered-and-replied")

    page.get_by_role("link", name="提案を取り下げる").click()
    page.fill("#reason", "会場の都合がつかなくなったため")
    screenshot(page, "intake-32-withdraw")
    page.get_by_role("button", name="取り下げる").click()
    assert "取り下げ" in page.locator(".intake-status-card").inner_text()
    screenshot(page, "intake-33-withdrawn")
    context.close()


def test_autosave_keeps_what_is_typed_when_the_tab_is_closed_or_the_session_expires(app, browser, live_server,
                                                                                   make_user, monkeypatch):
    """Typed text is saved a moment after typing stops, and when the page is closed; after the
    session has gone, the browser keeps it and puts it back once the person is signed in again."""
    from playwright.sync_api import expect

    from core.auth import issue_signin_link
    from core.extensions import db
    from proposals.models import Proposal

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # as in production: the beacon carries the token

    applicant = make_user("applicant", email="autosave-browser@example.jp")

    def sign_in_page(context, next_url):
        with app.test_request_context():
            token = issue_signin_link(applicant.email, next_url)
            db.session.commit()
        page = context.new_page()
        page.goto(f"{live_server.url}/signin/link/{token}")
        page.get_by_role("button", name="サインインする").click()
        return page

    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = sign_in_page(context, "/proposals/new")
    page.get_by_role("button", name="新しく提案を書きはじめる").click()
    draft_id = int(re.search(r"/proposals/(\d+)/step/1", page.url).group(1))
    step3 = f"{live_server.url}/proposals/{draft_id}/step/3"
    page.goto(step3)

    # 1. Type, stop: a quiet status line says it was saved, with the time.
    page.locator("#title").press_sequentially("高津区の子ども食堂", delay=20)
    status = page.locator("#autosave-status")
    status.filter(has_text=re.compile(r"下書きを保存しました \d\d:\d\d")).wait_for(timeout=10_000)
    assert status.get_attribute("aria-live") == "polite"
    artifacts = screenshot(page, "intake-40-autosave-page").parent
    status.scroll_into_view_if_needed()
    top, bottom = page.locator(".intake-actions").bounding_box(), status.bounding_box()
    page.screenshot(path=str(artifacts / "intake-41-autosave-status.png"), clip={
        "x": top["x"] - 16, "y": top["y"] - 16, "width": 760, "height": bottom["y"] + bottom["height"] - top["y"] + 32})

    # 2. Type again and close the tab at once, before the pause: the page's last save goes with it.
    page.locator("#issue").press_sequentially("放課後にひとりで過ごす子どもが増えています", delay=5)
    page.close(run_before_unload=True)
    reopened = context.new_page()
    for _ in range(50):  # the beacon arrives a moment after the tab is gone
        db.session.expire_all()
        if (db.session.get(Proposal, draft_id).draft_data.get("steps") or {}).get("3", {}).get("issue"):
            break
        reopened.wait_for_timeout(100)
    reopened.goto(step3)
    assert reopened.locator("#title").input_value() == "高津区の子ども食堂"
    assert reopened.locator("#issue").input_value() == "放課後にひとりで過ごす子どもが増えています"

    # 3. The session expires with the page open: saving fails, the browser keeps the text ...
    context.clear_cookies()
    reopened.locator("#activities").press_sequentially("週2回、集会所で夕食と宿題の時間", delay=5)
    status = reopened.locator("#autosave-status")
    status.filter(has_text="保存できませんでした").wait_for(timeout=10_000)
    screenshot(reopened, "intake-42-autosave-failed")
    # ... pressing the button then shows the expiry page, which leads back ...
    reopened.get_by_role("button", name="保存して次へ").click()
    expect(reopened.locator("main")).to_contain_text("入力した内容は失われていません")
    screenshot(reopened, "intake-43-expired")
    reopened.close()
    # ... and once signed in again the step has the text back, and the server gets it.
    page = sign_in_page(context, f"/proposals/{draft_id}/step/3")
    assert page.url == step3
    expect(page.locator("#activities")).to_have_value("週2回、集会所で夕食と宿題の時間")  # put back by the script
    page.locator("#autosave-status").filter(has_text="下書きを保存しました").wait_for(timeout=10_000)
    db.session.expire_all()
    assert db.session.get(Proposal, draft_id).draft_data["steps"]["3"]["activities"] == "週2回、集会所で夕食と宿題の時間"
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('intake-draft:')).length") == 0
    context.close()
