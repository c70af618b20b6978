"""In Chromium (issue 16): the cursor pager of the catalogue and the triage queue, forward, back and
to the first page, keeping the filter chosen in the form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import screenshot

from core.extensions import db
from proposals.visibility import CURRENT_CONSENT_VERSION

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def _many(make_proposal, count: int) -> list:
    made = [make_proposal(title=f"提案その{n}") for n in range(count)]
    for index, proposal in enumerate(made):
        proposal.submitted_at = datetime(2026, 4, 1, tzinfo=UTC) + timedelta(hours=index % 3)  # ties
        proposal.consent_publish, proposal.consent_version = True, CURRENT_CONSENT_VERSION
        proposal.publication_approved = True
        proposal.fiscal_year = 2026
    db.session.commit()
    return made


def test_the_pagers_walk_forward_back_and_to_the_first_page(live_server, page, make_user, make_proposal):
    _many(make_proposal, 45)  # three catalogue pages (20), two queue pages (25)

    page.goto(f"{live_server.url}/catalogue")
    page.get_by_label("年度").select_option("2026")
    page.get_by_role("button", name="この条件で探す").click()
    first = page.locator(".pub-cards h2, .pub-cards h3").all_inner_texts()
    pager = page.get_by_role("navigation", name="ページ")
    pager.get_by_role("link", name="次へ").click()
    assert "cursor=" in page.url and "fy=2026" in page.url
    second = page.locator(".pub-cards h2, .pub-cards h3").all_inner_texts()
    assert len(first) == len(second) == 20 and not set(first) & set(second)
    screenshot(page, "keyset-01-catalogue-page-2")
    pager.get_by_role("link", name="前へ").click()
    assert page.locator(".pub-cards h2, .pub-cards h3").all_inner_texts() == first
    pager.get_by_role("link", name="次へ").click()
    pager.get_by_role("link", name="次へ").click()
    assert pager.get_by_role("link", name="次へ").count() == 0 and "3 / 3" in pager.inner_text()
    pager.get_by_role("link", name="最初へ").click()
    assert page.locator(".pub-cards h2, .pub-cards h3").all_inner_texts() == first and "cursor" not in page.url

    window = make_user("window", password=PASSWORD)
    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=email]", window.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    page.goto(f"{live_server.url}/triage/")
    page.get_by_label("並び順").select_option("newest")
    page.get_by_role("button", name="絞り込む").click()
    rows = page.locator(".triage-table tbody tr")
    top = rows.first.inner_text()
    page.get_by_role("navigation", name="ページ").get_by_role("link", name="次へ").click()
    assert "sort=newest" in page.url and rows.count() == 20 and "45件" in page.locator("main").inner_text()
    screenshot(page, "keyset-02-triage-page-2")
    page.get_by_role("navigation", name="ページ").get_by_role("link", name="前へ").click()
    assert rows.count() == 25 and rows.first.inner_text() == top
