"""Keyset pagination of the long lists (issue 16): the catalogue and the triage queue page with
cursors ("after this row"), each order ending with the id so ties of submitted_at cannot lose or
repeat a row; "前へ" shows exactly the rows before; a bad cursor is the first page, never a 500."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from conftest import department_id
from intake_helpers import sign_in

from core.extensions import db
from core.paging import Key, Keyset
from proposals.models import Proposal
from proposals.visibility import CURRENT_CONSENT_VERSION
from public.queries import PAGE_SIZE as CATALOGUE_PAGE
from routing.views_triage import PAGE_SIZE as QUEUE_PAGE

COUNT = 62  # three queue pages (25), four catalogue pages (20) with the filter below
START = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def many(make_proposal):
    """62 submitted proposals: only 7 distinct submission times (ties everywhere, so only the id
    orders most rows), every fifth without a lead department, published, 2 in 3 in fiscal year 2026."""
    made = [make_proposal() for _ in range(COUNT)]
    leads = [department_id("ward-miyamae"), department_id("ward-tama"), department_id("kenko-fukushi")]
    for index, proposal in enumerate(made):
        proposal.submitted_at = START + timedelta(hours=index % 7)
        proposal.lead_department_id = None if index % 5 == 0 else leads[index % 3]
        proposal.consent_publish, proposal.consent_version = True, CURRENT_CONSENT_VERSION
        proposal.publication_approved = True
        proposal.fiscal_year = 2026 if index % 3 else 2025
    db.session.commit()
    return made


def _expected(rows, sort: str) -> list[str]:
    """The order each sort promises, worked out in Python (not by the query under test)."""
    keys = {
        "oldest": lambda p: (p.submitted_at, p.id),
        "newest": lambda p: (-p.submitted_at.timestamp(), -p.id),
        "reference": lambda p: (p.reference, p.id),
        "lead": lambda p: (p.lead_department_id is None, p.lead_department_id or 0, p.submitted_at, p.id),
    }
    return [p.reference for p in sorted(rows, key=keys[sort])]


def _page(client, url: str, link: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    text = response.get_data(as_text=True)
    references = re.findall(r'href="/(?:triage|catalogue)/([A-Z]+-\d{4}-\d+)"', text)
    found = re.search(rf'<a href="([^"]+)" rel="{link}">', text)
    return references, (html.unescape(found.group(1)) if found else None), text


def _walk(client, url: str, link: str = "next") -> list[list[str]]:
    pages = []
    while url is not None:
        references, url, _ = _page(client, url, link)
        pages.append(references)
        assert len(pages) <= COUNT, "the pager goes round in circles"
    return pages


def _walk_both_ways(client, first_url: str):
    forward = _walk(client, first_url)
    # Back from the last page: "前へ" from every page shows exactly the page before it.
    last_url = first_url
    while True:
        _, following, _ = _page(client, last_url, "next")
        if following is None:
            break
        last_url = following
    backward = _walk(client, last_url, "prev")
    return forward, backward


@pytest.mark.parametrize("sort", ["oldest", "newest", "reference", "lead"])
def test_the_queue_visits_every_row_once_in_each_order_and_back(client, make_user, many, sort):
    sign_in(client, make_user("window"))
    forward, backward = _walk_both_ways(client, f"/triage/?sort={sort}")
    assert [len(p) for p in forward] == [QUEUE_PAGE, QUEUE_PAGE, COUNT - 2 * QUEUE_PAGE]
    assert sum(forward, []) == _expected(many, sort)
    assert backward == forward[::-1]


def test_the_catalogue_with_a_filter_visits_every_row_once_and_back(client, many):
    listed = [p for p in many if p.fiscal_year == 2026]
    forward, backward = _walk_both_ways(client, "/catalogue?fy=2026")
    assert len(forward) == -(-len(listed) // CATALOGUE_PAGE) > 1
    assert sum(forward, []) == _expected(listed, "newest")
    assert backward == forward[::-1]


def test_the_pager_keeps_the_filters_and_offers_the_first_page(client, make_user, many):
    _, following, text = _page(client, "/catalogue?fy=2026&kind=&status=", "next")
    assert "fy=2026" in following and "cursor=" in following and "page=" not in following
    assert "最初へ" not in text and "前へ" not in text and "次へ" in text
    _, _, second = _page(client, following, "next")
    assert '<a href="/catalogue?fy=2026">最初へ</a>' in second and "前へ" in second
    assert "2 / " in second and "件の提案が見つかりました" in second
    client.get("/lang/en")
    english = client.get(following).get_data(as_text=True)
    assert all(word in english for word in (">First</a>", ">Previous</a>", ">Next</a>", "Page 2 of"))
    client.get("/lang/ja")

    sign_in(client, make_user("window"))
    _, following, text = _page(client, "/triage/?sort=newest&needs_triage=&state=open", "next")
    assert "sort=newest" in following and "state=open" in following and "needs_triage" not in following
    assert f"{COUNT}件" in text


def test_old_page_numbers_still_work_and_link_with_cursors(client, make_user, many):
    sign_in(client, make_user("window"))
    expected = _expected(many, "oldest")
    references, following, text = _page(client, "/triage/?page=2", "next")
    assert references == expected[QUEUE_PAGE:2 * QUEUE_PAGE]
    assert "cursor=" in following and "2 / 3" in text
    assert _page(client, following, "next")[0] == expected[2 * QUEUE_PAGE:]


def _cursor(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursors(good: str) -> list[str]:
    when = START.isoformat()
    return [
        "garbage", "!!!", good[:-7], good + "x", "A" * 5000, _cursor(b"\xff\xfe"), _cursor([1, 2]),
        _cursor({"s": "newest", "d": "after", "k": ["yesterday", 3]}),       # not a time
        _cursor({"s": "newest", "d": "after", "k": [when, "3"]}),            # the id as text
        _cursor({"s": "newest", "d": "after", "k": [when, True]}),           # a boolean is no id
        _cursor({"s": "newest", "d": "after", "k": [when, 10**30]}),         # more than an INTEGER holds
        _cursor({"s": "newest", "d": "after", "k": [None, 3]}),              # NULL where there is none
        _cursor({"s": "newest", "d": "after", "k": [when]}),                 # too short
        _cursor({"s": "newest", "d": "sideways", "k": [when, 3]}),
        _cursor({"s": "oldest", "d": "after", "k": [when, 3]}),              # another order's cursor
        _cursor({"s": "newest", "d": "after", "k": ["2000-01-01T00:00:00+00:00", 1]}),  # past the end
    ]


def test_a_bad_cursor_is_the_first_page(client, make_user, many):
    first, following, _ = _page(client, "/catalogue", "next")
    good = following.split("cursor=")[1].split("&")[0]
    for bad in _bad_cursors(good):
        assert _page(client, f"/catalogue?cursor={bad}", "next")[0] == first, bad

    sign_in(client, make_user("window"))
    first, following, _ = _page(client, "/triage/?sort=newest", "next")
    good = following.split("cursor=")[1].split("&")[0]
    for bad in [*_bad_cursors(good), _cursor({"s": "reference", "d": "after", "k": ["R\x00", 3]})]:
        assert _page(client, f"/triage/?sort=newest&cursor={bad}", "next")[0] == first, bad


def test_nulls_come_last_both_ways_in_the_key_comparisons(many):
    """The lead order's comparisons, straight on the database: after a NULL lead only NULLs with a larger
    id; before the first NULL every department's rows; after the last department the NULLs."""
    order = Keyset("lead", (Key(Proposal.lead_department_id, nullable=True), Key(Proposal.id)))
    rows = sorted(many, key=lambda p: (p.lead_department_id is None, p.lead_department_id or 0, p.id))

    def around(row, reverse):
        query = sa.select(Proposal.id).where(Proposal.id.in_([p.id for p in many]),
                                             order.beyond(order.values_of(row), reverse=reverse))
        return list(db.session.scalars(query.order_by(*order.order_by(reverse=reverse))))

    for index in (0, 10, len(rows) - 13, len(rows) - 12, len(rows) - 5, len(rows) - 1):
        assert around(rows[index], False) == [p.id for p in rows[index + 1:]], index
        assert around(rows[index], True) == [p.id for p in rows[:index]][::-1], index
