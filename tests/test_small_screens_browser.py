"""Every main page at 320 px (the narrowest phone): no sideways scroll, and a
compact header; screenshots in Japanese and English, desktop and phone, in
test-artifacts/ (look at them)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import screenshot

from core.auth import issue_signin_link
from core.extensions import db
from demo.accounts import DEMO_APPLICANT, DEMO_PASSWORD
from proposals.models import Proposal, State
from window.seed import seed_all

PUBLIC = ["/", "/catalogue", "/partners", "/stats", "/open-data", "/signin", "/staff/login"]
STAFF = {
    "window@city.example.jp": ["/triage/", "/window/dashboard", "/catalogue/manage"],
    "miyamae@city.example.jp": ["/inbox", "/evaluations"],
    "admin@city.example.jp": ["/admin", "/admin/outbox", "/admin/audit", "/admin/departments"],
}
APPLICANT = ["/my", "/my/settings", "/proposals/new"]


def _wide(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _visit(page, base: str, path: str, name: str, widths: dict[str, int], shots: bool) -> None:
    response = page.goto(base + path)
    assert response.status == 200, path
    widths[path] = _wide(page)
    if shots:
        screenshot(page, name)


@pytest.fixture
def demo(app):
    seed_all(with_demo=True)
    db.session.commit()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_fits_320_px_and_the_header_is_compact(app, live_server, browser, demo, language):
    reference = db.session.scalar(sa.select(Proposal.reference).where(Proposal.state == State.TRIAGE).limit(1))
    too_wide: dict[str, int] = {}

    def walk(context, who: str, paths: list[str]):
        page = context.new_page()
        page.goto(f"{live_server.url}/lang/{language}")
        if who == "applicant":
            with app.test_request_context():
                token = issue_signin_link(DEMO_APPLICANT)
                db.session.commit()
            page.goto(f"{live_server.url}/signin/link/{token}")
            page.locator("form button[type=submit]").first.click()
        elif who != "public":
            page.goto(f"{live_server.url}/staff/login")
            page.fill("#email", who)
            page.fill("#password", DEMO_PASSWORD)
            page.locator("main form button[type=submit]").click()
        widths: dict[str, int] = {}
        for path in paths:
            name = f"320-{language}-{who.split('@')[0]}-{path.strip('/').replace('/', '_') or 'home'}"
            _visit(page, live_server.url, path, name, widths, shots=path in ("/", "/triage/", "/inbox", "/my"))
        header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
        assert header <= 150, f"{who}: the header takes {header:.0f} px of a phone screen"
        too_wide.update({f"{who} {p}": w for p, w in widths.items() if w > 320})
        page.close()

    phone = browser.new_context(locale="ja-JP", viewport={"width": 320, "height": 640})
    walk(phone, "public", PUBLIC)
    phone.close()
    for email, paths in STAFF.items():
        phone = browser.new_context(locale="ja-JP", viewport={"width": 320, "height": 640})
        walk(phone, email, paths + ([f"/triage/{reference}"] if email.startswith("window") else []))
        phone.close()
    phone = browser.new_context(locale="ja-JP", viewport={"width": 320, "height": 640})
    walk(phone, "applicant", APPLICANT)
    phone.close()
    assert too_wide == {}, f"pages wider than 320 px: {too_wide}"

    desktop = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = desktop.new_page()
    page.goto(f"{live_server.url}/lang/{language}")
    for path in ("/", "/catalogue", "/stats"):
        page.goto(live_server.url + path)
        screenshot(page, f"desktop-{language}-{path.strip('/') or 'home'}")
    # The charts shrink with the window (Chart.js follows its box).
    page.wait_for_function("document.querySelectorAll('.pub-chart canvas[height]').length > 0")
    page.set_viewport_size({"width": 360, "height": 800})
    page.wait_for_function("[...document.querySelectorAll('.pub-chart canvas')]"
                           ".every(c => c.getBoundingClientRect().width <= 360)", timeout=5000)
    assert _wide(page) <= 360
    desktop.close()
