"""The base layout in real Chromium: Japanese home page with demo data,
the language switch, staff sign-in, the outbox an administrator reads."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import screenshot

from core.extensions import db
from proposals.models import Proposal, State
from window.seed import seed_all

pytestmark = pytest.mark.browser


def test_home_page_in_japanese_then_english(live_server, page):
    seed_all(with_demo=True)
    received = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(Proposal.state != State.DRAFT))
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_role("heading", level=1).inner_text() == "地域の課題を、市と一緒に解決しませんか"
    assert page.locator(".figure-list dd").first.inner_text() == str(received)  # the demo proposals
    screenshot(page, "foundation-01-home-ja")

    # Keyboard users reach the skip link first, and it is visible when focused.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    screenshot(page, "foundation-02-skip-link-focused")

    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Solve local issues" in page.get_by_role("heading", level=1).inner_text()
    page.goto(live_server.url + "/signin")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"  # the choice persists
    screenshot(page, "foundation-03-signin-en")


def test_staff_sign_in_and_the_outbox(live_server, page, make_user):
    admin = make_user("admin", password="admin pass 2026", email="admin-browser@example.jp")
    page.goto(live_server.url + "/signin")
    page.get_by_label("メールアドレス").fill("ｔａｒｏ@example.jp")
    page.get_by_role("button", name="リンクを送る").click()
    assert "メールを確認してください" in page.get_by_role("heading", level=1).inner_text()

    page.goto(live_server.url + "/staff/login")
    page.get_by_label("メールアドレス").fill(admin.email)
    page.get_by_label("パスワード").fill("wrong")
    page.get_by_role("button", name="サインイン").click()
    assert page.get_by_role("alert").first.is_visible()
    screenshot(page, "foundation-04-staff-login-error")
    page.get_by_label("パスワード").fill("admin pass 2026")
    page.get_by_role("button", name="サインイン").click()
    page.goto(live_server.url + "/admin/outbox")
    page.get_by_role("link", name="協働・連携の窓口 サインイン用リンク").click()
    assert "/signin/link/" in page.locator(".email-body").inner_text()
    screenshot(page, "foundation-05-outbox-email")


def test_home_page_on_a_phone(live_server, browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server.url + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    screenshot(page, "foundation-06-home-phone")
    context.close()
