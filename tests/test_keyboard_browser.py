"""The proposal form with the keyboard alone: Tab, Shift+Tab, Space, arrow keys,
Enter and typing, never the mouse, from the sign-in link to the reference number.
Each field is reached by tabbing and shows where the focus is; a mistake's error
summary takes the focus and its links (a radio group's too) move it to the field."""

from __future__ import annotations

import re

import accessibility
import pytest
from conftest import screenshot

from core.auth import issue_signin_link
from core.extensions import db

pytestmark = pytest.mark.browser

ACTIVE = """(selector) => { const e = document.activeElement; return !!e && e.matches(selector); }"""
# Where the focus is must be seen: an outline or a box shadow on the element (or, for a
# radio or checkbox, on its label beside it).
FOCUS_SHOWN = """() => { const e = document.activeElement; const s = getComputedStyle(e);
  const shown = (st) => (st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0) || st.boxShadow !== 'none';
  const label = e.id ? document.querySelector(`label[for="${e.id}"]`) : null;
  const r = e.getBoundingClientRect();
  return shown(s) || (label && shown(getComputedStyle(label)))
    || (r.bottom > 0 && r.top < innerHeight && (e.type === 'radio' || e.type === 'checkbox')); }"""


def tab_to(page, selector: str, limit: int = 120, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focus is on `selector`; the focus is visible there."""
    for _ in range(limit):
        if page.evaluate(ACTIVE, selector):
            assert page.evaluate(FOCUS_SHOWN), f"the focus on {selector} cannot be seen"
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


def fill_by_keyboard(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def press_button(page, name: str) -> None:
    """Tab to the button that reads `name` and press Enter (a page loads)."""
    for _ in range(150):
        text = page.evaluate("() => document.activeElement && document.activeElement.tagName === 'BUTTON'"
                             " ? document.activeElement.innerText.trim() : null")
        if text == name:
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"Tab never reached the button {name}")
    accessibility.check(page)  # the page being left (a key press is not one of the calls checked for us)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_whole_form_with_the_keyboard_alone(app, browser, live_server, make_user, make_proposal):
    applicant = make_user("applicant", email="keys@example.jp")
    make_proposal(applicant=applicant)  # one organisation already: the form asks which one
    with app.test_request_context():
        token = issue_signin_link(applicant.email, "/proposals/new")
        db.session.commit()
    context = browser.new_context(locale="ja-JP", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(f"{live_server.url}/signin/link/{token}")
    press_button(page, "サインインする")
    assert page.url.endswith("/proposals/new")

    # Which organisation: the radio group is one Tab stop; an arrow key moves and chooses.
    tab_to(page, "#organisation-0")
    page.keyboard.press("ArrowDown")
    assert page.locator("#organisation-1").is_checked()
    press_button(page, "新しく提案を書きはじめる")

    # Step 1 sent empty: the error summary takes the focus, its links take it to the fields.
    press_button(page, "保存して次へ")
    assert page.evaluate(ACTIVE, ".error-summary")
    accessibility.check(page)
    tab_to(page, '.error-summary a[href="#kind-0"]')
    page.keyboard.press("Enter")
    assert page.evaluate(ACTIVE, "#kind-0"), "the link to a radio group must move the focus to its first choice"
    page.keyboard.press("Space")
    assert page.locator("#kind-0").is_checked()
    tab_to(page, "#name", backwards=True)
    page.keyboard.type("ＮＰＯ法人キーボード")
    screenshot(page, "keyboard-01-organisation")
    press_button(page, "保存して次へ")
    assert "/step/2" in page.url, page.locator(".error-summary").all_inner_texts()

    fill_by_keyboard(page, "#contact_name", "鍵盤 太郎")
    fill_by_keyboard(page, "#contact_email", "keys@example.jp")
    press_button(page, "保存して次へ")
    assert "/step/3" in page.url, page.locator(".error-summary").all_inner_texts()

    for selector, text in (("#title", "キーボードだけで書いた提案"), ("#summary", "マウスを使わずに書きました。"),
                           ("#issue", "地域の課題です。"), ("#activities", "月に1回の集まり。"),
                           ("#outcomes", "参加者の数で測ります。")):
        fill_by_keyboard(page, selector, text)
    press_button(page, "保存して次へ")
    assert "/step/4" in page.url, page.locator(".error-summary").all_inner_texts()

    tab_to(page, "#scope-0")
    page.keyboard.press("Space")  # 1つの区
    tab_to(page, "input[name=wards][value=ward-miyamae]")
    page.keyboard.press("Space")
    tab_to(page, "input[name=themes][value=welfare-elderly]")
    page.keyboard.press("Space")
    tab_to(page, "#stage-0")
    page.keyboard.press("ArrowDown")  # 実績のある取組
    assert page.locator("#stage-1").is_checked() and page.locator("input[value=ward-miyamae]").is_checked()
    press_button(page, "保存して次へ")
    assert "/step/5" in page.url, page.locator(".error-summary").all_inner_texts()

    tab_to(page, "#exit_strategy-0")
    page.keyboard.press("Space")
    press_button(page, "保存して次へ")
    assert "/step/6" in page.url, page.locator(".error-summary").all_inner_texts()
    press_button(page, "確認画面へ進む")
    assert "/review" in page.url

    tab_to(page, "#consent_privacy")
    page.keyboard.press("Space")
    screenshot(page, "keyboard-02-review")
    press_button(page, "この内容で提出する")
    assert "/submitted" in page.url
    assert re.fullmatch(r"KW-\d{4}-\d{6}", page.locator(".intake-reference").inner_text())
    context.close()
