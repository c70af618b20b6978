"""Every paged list reads ?page= the same way: nonsense gives a page, never a 500."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import department_id
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


def test_numbers_the_database_cannot_hold_are_a_400_that_says_so(client, make_user, make_proposal):
    from core.audit import Actor
    from core.extensions import db
    from proposals import operations

    window = make_user("window")
    sign_in(client, window)
    response = client.get("/triage/", query_string={"age": str(10**30)})
    assert response.status_code == 400 and "入力された値を扱えません" in response.get_data(as_text=True)

    proposal = make_proposal()
    operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(window))
    db.session.commit()
    staff_client = client.application.test_client()
    sign_in(staff_client, make_user("department_staff", "ward-miyamae"))
    assert staff_client.get(f"/inbox/proposals/{proposal.id}").status_code == 200
    response = staff_client.get(f"/inbox/proposals/{proposal.id}", query_string={"template": str(10**30)})
    assert response.status_code == 400 and "数値が大きすぎる" in response.get_data(as_text=True)


def test_nul_characters_in_any_form_or_query_are_dropped(client, make_user, make_proposal):
    """PostgreSQL refuses NUL in text: one pasted byte must not be a 500, in any room."""
    from core.extensions import db
    from core.models import Event

    proposal = make_proposal()
    sign_in(client, make_user("window"))
    response = client.post(f"/triage/{proposal.reference}/request-info", data={
        "form": "info", "info-lock_version": proposal.lock_version, "info-comment": "活動する\x00地区を教えてください"})
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event).where(Event.to_state == "info_requested"))
    assert event.comment == "活動する地区を教えてください"
    assert client.get("/triage/", query_string={"lead": "ken\x00ko", "q": "\x00"}).status_code == 200
