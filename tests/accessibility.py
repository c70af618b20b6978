"""axe-core on every page of every browser journey.

Before a journey leaves a page (goto, a click or key press that may navigate,
closing the page or its context), the page it is on is checked once with
axe-core (tests/vendor/axe-core, served to Chromium from the page's own origin
by a Playwright route, so the Content-Security-Policy stays as it is and the
app has no test route); serious and critical violations are collected in
FINDINGS and fail the test (tests/conftest.py). `check(page)` checks the page
now, for a state reached without leaving it (an error summary, a dialog)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from urllib.parse import urlsplit

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe-core.min.js"
AXE_VERSION = "4.10.3"
AXE_SHA256 = "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb"
FAIL_ON = ("serious", "critical")
FINDINGS: list[str] = []
checked_pages = 0  # how many documents were checked in this run, and the seconds it took (reported at the end)
seconds = 0.0
# A document already checked in this session looks the same again (the home page every journey
# starts from): its path, language, window width and number of elements; checked once.
_seen: set[tuple] = set()
FINGERPRINT = "() => [location.pathname, document.documentElement.lang, innerWidth, document.getElementsByTagName('*').length]"

RUN = """async (failOn) => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => failOn.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + (n.failureSummary || "").split("\\n")[1])}));
}"""


def _serve_axe(context) -> None:
    if getattr(context, "_axe_served", False):
        return
    context.route(f"**{AXE_PATH}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    context._axe_served = True


def check(page, again: bool = False) -> None:
    """Run axe-core on the page as it is (once per document unless `again`)."""
    global checked_pages, seconds
    from playwright.sync_api import Error

    url = page.url
    if not url.startswith("http") or page.is_closed():
        return
    started = time.perf_counter()
    try:
        if not again and page.evaluate("() => window.__axeChecked === true"):
            return
        fingerprint = tuple(page.evaluate(FINGERPRINT))
        if not again and fingerprint in _seen:
            return
        _serve_axe(page.context)
        if not page.evaluate("() => typeof window.axe === 'object'"):
            parts = urlsplit(url)
            page.add_script_tag(url=f"{parts.scheme}://{parts.netloc}{AXE_PATH}")
        page.evaluate("() => { window.__axeChecked = true; }")
        violations = page.evaluate(RUN, list(FAIL_ON))
        _seen.add(fingerprint)
    except Error:
        return  # the document went away mid-check (a navigation the journey started)
    checked_pages += 1
    seconds += time.perf_counter() - started
    path = urlsplit(url).path
    FINDINGS.extend(f"{path}: {v['impact']} {v['id']} — {v['help']} — {v['nodes']}" for v in violations)


def _before(method):
    def checked_first(self, *args, **kwargs):
        check(self if hasattr(self, "goto") else self.page)
        return method(self, *args, **kwargs)

    checked_first.__wrapped__ = method
    return checked_first


def _context_close(method):
    def checked_first(self, *args, **kwargs):
        for page in list(self.pages):
            check(page)
        return method(self, *args, **kwargs)

    return checked_first


@contextlib.contextmanager
def every_page_checked():
    """Wrap the Playwright calls that may leave a page so the page is checked first."""
    from playwright.sync_api import BrowserContext, Locator, Page

    patched = [(Page, name) for name in ("goto", "click", "press", "go_back", "reload", "close", "set_viewport_size")]
    patched += [(Locator, name) for name in ("click", "press")]
    originals = {(cls, name): getattr(cls, name) for cls, name in patched}
    for (cls, name), method in originals.items():
        setattr(cls, name, _before(method))
    original_close = BrowserContext.close
    BrowserContext.close = _context_close(original_close)
    try:
        yield
    finally:
        for (cls, name), method in originals.items():
            setattr(cls, name, method)
        BrowserContext.close = original_close
