"""The triage desk and the rule editor in real Chromium."""

from __future__ import annotations

import pytest
from conftest import screenshot

from core.extensions import db
from routing.seed import seed_routing

pytestmark = pytest.mark.browser
PASSWORD = "window pass 2026"


def sign_in(page, live_server, user):
    page.goto(live_server.url + "/staff/login")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()


def test_window_staff_confirm_one_and_override_another(live_server, page, make_user, make_proposal):
    seed_routing()
    db.session.commit()
    salon = make_proposal(title="宮前区の高齢者サロンとスマホ相談会",
                          summary="地域の高齢者が集うサロンで、介護予防の体操とスマホ相談を行います。")
    patrol = make_proposal(title="通学路の見守りと防犯パトロール", themes=("safety",), wards=("ward-takatsu",),
                           summary="溝の口の通学路で、町内会が青色回転灯パトロールと見守り活動を行います。",
                           issue="不審者の情報が続いている", activities="毎週のパトロール")
    window = make_user("window", password=PASSWORD, name="窓口 花子")
    sign_in(page, live_server, window)
    assert page.url.endswith("/triage/")  # staff home sends the window to the queue
    assert page.get_by_role("heading", level=1).inner_text() == "振り分け（窓口）"
    assert page.get_by_role("link", name=salon.reference).is_visible()
    screenshot(page, "routing-01-queue")

    page.get_by_role("link", name=salon.reference).click()
    assert page.get_by_role("heading", name="なぜこの部署か").is_visible()
    assert "1区の区レベルのテーマ" in page.locator(".why-panel").inner_text()
    screenshot(page, "routing-02-detail-why-here")
    page.get_by_role("button", name="確認して割り当てる").click()
    assert "振り分けを確認し、担当部署に割り当てました" in page.locator(".notice-success").inner_text()
    timeline = page.locator(".routing-timeline").inner_text()
    assert "振り分けを確認" in timeline and "担当部署に割当済み" in timeline
    screenshot(page, "routing-03-confirmed")

    page.goto(live_server.url + "/triage/")
    page.get_by_role("link", name=patrol.reference).click()
    page.get_by_label("主担当部署").select_option(label="市民文化局")
    page.get_by_role("button", name="変更して割り当てる").click()  # no reason: refused, nothing lost
    assert page.get_by_role("alert").first.is_visible()
    assert page.get_by_label("主担当部署").evaluate("e => e.selectedOptions[0].text") == "市民文化局"
    screenshot(page, "routing-04-override-needs-reason")
    page.get_by_label("変更の理由").fill("通学路の防犯は全市の取り組みとして市民文化局が主担当で進めるため")
    page.get_by_role("button", name="変更して割り当てる").click()
    assert "振り分けを変更し" in page.locator(".notice-success").inner_text()
    timeline = page.locator(".routing-timeline").inner_text()
    assert "振り分けを変更" in timeline and "高津区役所 → 市民文化局" in timeline
    assert "通学路の防犯は全市の取り組みとして" in timeline
    screenshot(page, "routing-05-overridden-timeline")

    page.goto(live_server.url + "/triage/?state=assigned")
    text = page.locator(".triage-table").inner_text()
    assert salon.reference in text and patrol.reference in text
    screenshot(page, "routing-06-assigned-list")


def test_admin_builds_a_rule_previews_and_publishes(live_server, page, make_user, make_proposal):
    seed_routing()
    db.session.commit()
    proposal = make_proposal(summary="高齢者サロンで介護予防の体操とスマホ相談を行います。")
    admin = make_user("admin", password=PASSWORD, name="管理 太郎")
    sign_in(page, live_server, admin)
    page.goto(live_server.url + "/admin/routing/")
    screenshot(page, "routing-07-editor-history")
    page.get_by_role("button", name="公開中の版から下書きを作成する").click()
    page.get_by_role("link", name="ルールを追加する").click()
    page.get_by_label("ルール名").fill("宮前区の介護予防は健康福祉局")
    page.get_by_label("評価順").fill("1")
    page.get_by_label("条件1の種類").select_option(label="活動する区")
    page.get_by_label("条件1の値").fill("宮前区")
    page.get_by_label("条件2の種類").select_option(label="本文にいずれかの語を含む")
    page.get_by_label("条件2の値").fill("介護予防、フレイル")
    page.get_by_label("処理1の種類").select_option(label="主担当を決める")
    page.get_by_label("処理1の対象").select_option(label="健康福祉局")
    page.get_by_label("このルールが成立したら、後のルールを評価しない").check()
    screenshot(page, "routing-08-rule-builder")
    page.get_by_role("button", name="保存する").click()
    assert "ルールを保存しました" in page.locator(".notice-success").inner_text()
    page.get_by_label("受付番号").fill(proposal.reference)
    page.get_by_role("button", name="プレビュー").click()
    assert "健康福祉局 — 宮前区の介護予防は健康福祉局" in page.locator(".why-panel").first.inner_text()
    screenshot(page, "routing-09-preview")
    page.go_back()
    page.get_by_role("button", name="バックテストを実行").click()
    assert "1件で主担当が変わります" in page.locator(".backtest-summary").inner_text()
    screenshot(page, "routing-10-backtest")
    page.go_back()
    page.get_by_label("公開の説明（変更点）").fill("宮前区の介護予防を健康福祉局へ")
    page.get_by_role("button", name="この下書きを公開する").click()
    assert "v2 を公開しました" in page.locator(".notice-success").inner_text()
    screenshot(page, "routing-11-published")


def test_triage_detail_on_a_phone(live_server, browser, make_user, make_proposal):
    seed_routing()
    db.session.commit()
    proposal = make_proposal()
    window = make_user("window", password=PASSWORD)
    context = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, window)
    page.goto(f"{live_server.url}/triage/{proposal.reference}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    screenshot(page, "routing-12-detail-phone")
    context.close()
