"""No page shows a raw code: every event, state, kind and status a person reads
comes through the label tables (proposals/labels.py, proposals/lifecycle.py).

The demo data of `make run` is crawled as each demo account would walk it, in
Japanese and in English, following the links of each page; the visible text
of every page is searched for the codes of the enumerations and event kinds.
On Japanese pages any code is a stray (no ASCII word belongs in the running
text); on English pages the snake_case ones are (a plain word such as
"company" is also English)."""

from __future__ import annotations

import enum
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from public_helpers import sign_in_applicant

import core.models
import proposals.models
import public.models
import responses.models
import routing.models
from core.extensions import db
from core.models import Event
from demo.accounts import DEMO_APPLICANT, DEMO_PASSWORD
from proposals.labels import LABELS
from window.seed import seed_all

MODULES = (core.models, proposals.models, routing.models, responses.models, public.models)
# Enumerations whose values are identifiers, never shown (roles are shown through their own labels).
NOT_SHOWN = {"Party"}


def _codes() -> set[str]:
    codes = set(LABELS["event"])
    for module in MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.StrEnum) and value.__name__ not in NOT_SHOWN:
                codes.update(member.value for member in value)
    codes.update(db.session.scalars(sa.select(Event.kind).distinct()))
    return codes


class VisibleText(HTMLParser):
    """The text a reader sees: no scripts or styles, no attribute values, no <code>
    (the rule engine's reasons are read too: they are keys and parameters written
    out in the reader's language, routing/reasons.py)."""

    SKIPPED_TAGS = {"script", "style", "template", "code"}  # <code>: an identifier shown on purpose

    def __init__(self, language: str):
        super().__init__()
        self.language = language
        self.parts: list[str] = []
        self.links: list[str] = []
        self._stack: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag in {"br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"}:
            return
        hidden = (tag in self.SKIPPED_TAGS
                  or (self.language == "ja" and attributes.get("lang") == "en"))  # a name's English form
        self._stack.append(hidden or (bool(self._stack) and self._stack[-1]))

    def handle_endtag(self, tag):
        if self._stack and tag not in {"br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"}:
            self._stack.pop()

    def handle_data(self, data):
        if not (self._stack and self._stack[-1]):
            self.parts.append(data)


# Links not followed: they change something, leave the HTML, or only repeat a page with other filters.
NOT_FOLLOWED = re.compile(r"^/(lang/|logout|signout|staff/logout|static/|api/)|\.(csv|json|pdf|png|jpg|xlsx)$|/download|/files/")


def _shape(path: str) -> str:
    """Pages of one kind count once: /triage/KW-2026-000123 and /triage/KW-2026-000124 alike."""
    return re.sub(r"[A-Z]{2}-\d{4}-\d+|\d+", "N", path)


def crawl(client, starts: list[str], language: str, per_shape: int = 2, limit: int = 70) -> dict[str, str]:
    seen: set[str] = set()
    shapes: Counter = Counter()
    pages: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(pages) < limit:
        url = queue.popleft()
        parts = urlsplit(url)
        path = parts.path
        if url in seen or NOT_FOLLOWED.search(path) or parts.netloc not in ("", "localhost"):
            continue
        seen.add(url)
        shape = _shape(path) + ("?" if parts.query else "")
        if shapes[shape] >= per_shape:
            continue
        shapes[shape] += 1
        response = client.get(path + (f"?{parts.query}" if parts.query else ""))
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        parser = VisibleText(language)
        parser.feed(response.get_data(as_text=True))
        pages[url] = " ".join(parser.parts)
        for href in parser.links:
            target = urljoin(path, href.split("#")[0])
            if target and target not in seen:
                queue.append(target)
    return pages


def raw_codes(text: str, codes: set[str], language: str) -> set[str]:
    words = set(re.findall(r"(?<![\w@./:-])[a-z][a-z0-9_]*(?![\w@./:-])", text))
    found = words & codes
    return found if language == "ja" else {word for word in found if "_" in word}


ACCOUNTS = {
    "admin": ("admin@city.example.jp", ["/admin", "/admin/outbox", "/admin/audit", "/admin/departments"]),
    "window": ("window@city.example.jp", ["/triage/", "/window/dashboard", "/catalogue/manage"]),
    "bureau": ("fukushi@city.example.jp", ["/inbox", "/evaluations", "/inbox/templates"]),
    "ward": ("miyamae@city.example.jp", ["/inbox"]),
    "applicant": (DEMO_APPLICANT, ["/my", "/my/settings", "/partners/interests", "/proposals/new"]),
}


@pytest.fixture
def demo(app):
    seed_all(with_demo=True)
    db.session.commit()
    return _codes()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_no_page_of_the_demo_shows_a_raw_code(app, demo, language):
    found: dict[str, set[str]] = {}
    crawled = 0
    for who, (email, starts) in ACCOUNTS.items():
        client = app.test_client()  # a fresh browser per account
        client.get(f"/lang/{language}")
        if who == "applicant":
            sign_in_applicant(app, client, email)
        else:
            response = client.post("/staff/login", data={"email": email, "password": DEMO_PASSWORD})
            assert response.status_code == 302, who
        pages = crawl(client, starts + ["/", "/catalogue", "/partners", "/stats", "/open-data"], language)
        crawled += len(pages)
        assert len(pages) >= len(starts), (who, list(pages))
        for url, text in pages.items():
            stray = raw_codes(text, demo, language)
            if stray:
                found[f"{who} {url}"] = stray
    assert crawled >= 100
    assert not found, "\n".join(f"{page}: {sorted(codes)}" for page, codes in sorted(found.items()))


def test_the_check_finds_a_code_in_running_text():
    codes = {"draft_created", "seed", "npo_corp"}
    assert raw_codes("タイムライン draft_created 段階 seed", codes, "ja") == {"draft_created", "seed"}
    assert raw_codes("Stage seed, npo_corp", codes, "en") == {"npo_corp"}
    assert raw_codes("npo_corp@example.org /seed/ ward-seed", codes, "ja") == set()


def test_the_menu_follows_the_role(app, make_user):
    """Staff do not submit proposals: 提案する / わたしの提案 are the public's and the applicants'."""
    from public_helpers import sign_in_staff

    anonymous = app.test_client().get("/").get_data(as_text=True)
    assert "提案する</a>" in anonymous and "わたしの提案</a>" not in anonymous
    applicant = app.test_client()
    sign_in_applicant(app, applicant, make_user("applicant").email)
    page = applicant.get("/").get_data(as_text=True)
    assert "提案する</a>" in page and "わたしの提案</a>" in page
    for role, department in (("window", "jichi"), ("admin", "jichi"), ("department_staff", "ward-miyamae")):
        staff = app.test_client()
        sign_in_staff(staff, make_user(role, department, password="correct horse battery"))
        page = staff.get("/").get_data(as_text=True)
        assert "提案する</a>" not in page and "わたしの提案</a>" not in page, role
