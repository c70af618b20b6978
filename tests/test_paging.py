"""Every paged list reads ?page= the same way: nonsense gives a page, never a 500."""

from __future__ import annotations

import pytest
from intake_helpers import sign_in

from core.paging import MAX_PAGE, page_number

ODD_PAGES = ["abc", "-5", "0", "²", "１２", "99999999999999999999", "1e9", ""]


@pytest.mark.parametrize(("raw", "expected"), [
    ("3", 3), (" 4 ", 4), ("abc", 1), ("-5", 1), ("0", 1), ("²", 1), ("１２", 12),
    ("99999999999999999999", MAX_PAGE), (None, 1),
])
def test_page_number(raw, expected):
    assert page_number(raw) == expected


@pytest.mark.parametrize("role, path", [
    ("admin", "/admin/outbox"), ("admin", "/admin/audit"), ("window", "/triage/"),
    ("department_staff", "/inbox"), ("window", "/catalogue/manage"),
    (None, "/catalogue"), (None, "/partners"),
])
def test_paged_lists_answer_odd_page_numbers(client, make_user, role, path):
    if role:
        sign_in(client, make_user(role, "kenko-fukushi") if role == "department_staff" else make_user(role))
    for raw in ODD_PAGES:
        response = client.get(path, query_string={"page": raw})
        assert response.status_code == 200, (path, raw, response.status_code)
