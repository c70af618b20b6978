"""Hostile input, generated (hypothesis): the normalisers and validators
either return a clean value or refuse with ValueError; the real form pages
never answer 5xx, never store or render generated markup unescaped, and
refuse with a clear Japanese error under the field.

Examples are bounded (settings below) so that the suite stays fast; the
database is the real one (SQLite or PostgreSQL, whichever the run uses)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from intake_helpers import VALID_STEPS, errors_in, sign_in

from core.extensions import db
from intake import normalise as n

PARSERS = settings(max_examples=100, deadline=None)
PAGES = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])

# Every code point, lone surrogates and controls included.
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
# Fragments an attacker or a confused user types; a marker tells ours apart from the page's own markup.
HOSTILE = st.sampled_from([
    "<script>hx1</script>", '"><script>hx2</script>', "<img src=x onerror=hx3>", "</textarea><script>hx4</script>",
    "javascript:hx5", "{{ 7*7 }}", "{% raw %}", "=HYPERLINK(\"http://x\")", "+1-2", "@SUM(1)", "\x00", "\u202e",
    "\ufeff", "\r\n", "'; DROP TABLE proposals; --", "%00", "１２３", "ｱｲｳ", "〒", "－", "ー", "　", "🙂", "\ud800",
    "a" * 300, "あ" * 2100,
])
HOSTILE_TEXT = st.lists(st.one_of(HOSTILE, st.text(ANY_CHARACTER, max_size=20)), max_size=6).map("".join)
OUR_MARKUP = re.compile(r"<script>hx\d|<img src=x onerror=hx|</textarea><script>")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


# --- the normalisers and validators ------------------------------------------------------------

def _returns_or_refuses(parse, value):
    try:
        return parse(value)
    except ValueError:
        return ValueError


@PARSERS
@given(st.one_of(st.text(ANY_CHARACTER), HOSTILE_TEXT))
def test_nfkc_and_one_line_leave_no_controls_and_are_stable(text):
    cleaned = n.nfkc(text)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]", cleaned)
    assert n.nfkc(cleaned) == cleaned
    line = n.one_line(text)
    assert "\n" not in line and "\r" not in line
    assert n.one_line(line) == line


@PARSERS
@given(st.one_of(st.text(ANY_CHARACTER), HOSTILE_TEXT, st.from_regex(r"\A[〒]?[0-9０-９]{3}[-－ー ]?[0-9０-９]{4}\Z")))
def test_postal_codes_are_ddd_dddd_or_refused(text):
    parsed = _returns_or_refuses(n.parse_postal_code, text)
    if parsed is not ValueError:
        assert re.fullmatch(r"\d{3}-\d{4}", parsed) and n.parse_postal_code(parsed) == parsed


@PARSERS
@given(st.one_of(st.text(ANY_CHARACTER), HOSTILE_TEXT, st.from_regex(r"\A\+?[0-9０-９()（）\- ー]{8,16}\Z")))
def test_phone_numbers_are_digits_and_dashes_or_refused(text):
    parsed = _returns_or_refuses(n.parse_phone, text)
    if parsed is not ValueError:
        assert re.fullmatch(r"0\d{1,4}-\d{1,4}-\d{3,4}", parsed), parsed
        assert n.parse_phone(parsed) == parsed


@PARSERS
@given(st.one_of(st.text(ANY_CHARACTER), HOSTILE_TEXT,
                 st.from_regex(r"\A[¥￥約]?[0-9０-９,，.]{1,12}[万億千]?円?\Z")))
def test_amounts_are_whole_yen_or_refused(text):
    parsed = _returns_or_refuses(n.parse_amount, text)
    if parsed is not ValueError:
        assert parsed is None or (isinstance(parsed, int) and parsed >= 0)


@PARSERS
@given(st.one_of(st.text(ANY_CHARACTER), HOSTILE_TEXT))
@example("0.<")  # was stored as the website "https://0.<"
@example('example.jp/"onmouseover=x')
def test_the_other_parsers_return_their_type_or_refuse(text):
    for parse, kind in ((n.parse_corporate_number, str), (n.parse_int, int), (n.parse_year, int),
                        (n.parse_date, date), (n.parse_url, str)):
        parsed = _returns_or_refuses(parse, text)
        assert parsed is ValueError or parsed is None or isinstance(parsed, kind), (parse.__name__, parsed)
    url = _returns_or_refuses(n.parse_url, text)
    if isinstance(url, str):
        assert url.startswith(("http://", "https://")) and not re.search(r"[\s<>\"']", url), url
    number = _returns_or_refuses(n.parse_corporate_number, text)
    if isinstance(number, str):
        assert re.fullmatch(r"\d{13}", number)
    assert isinstance(n.to_hiragana(text), str) and isinstance(n.is_kana(n.nfkc(text)), bool)
    assert unicodedata.is_normalized("NFKC", n.nfkc(text))


# --- the real form pages -----------------------------------------------------------------------

@pytest.fixture
def applicant(make_user):
    return make_user("applicant", email="hostile@example.jp")


@pytest.fixture
def draft(client, applicant):
    sign_in(client, applicant)
    response = client.post("/proposals/new", data={"organisation": "new"})
    assert response.status_code == 302
    return int(response.headers["Location"].split("/")[2])


def _form(data: dict) -> dict:
    """A urlencoded body as an attacker can send it: lone surrogates go out as the
    (invalid) UTF-8 bytes they would be, not as a client-side error."""
    body = urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass")
    return {"data": body, "content_type": "application/x-www-form-urlencoded"}


def _assert_clean_page(response, where: str) -> str:
    assert response.status_code < 500, (where, response.status_code)
    html = response.get_data(as_text=True)
    assert not OUR_MARKUP.search(html), f"{where}: generated markup rendered unescaped"
    return html


def _assert_clear_japanese_errors(response, where: str) -> None:
    """A refusal names what is wrong, in Japanese, under the field."""
    html = response.get_data(as_text=True)
    errors = errors_in(html)
    assert errors, f"{where}: refused ({response.status_code}) without an error message"
    assert all(JAPANESE.search(error) for error in errors), (where, errors)


TEXT_FIELDS = {
    1: ["name", "name_kana", "corporate_number", "representative", "postal_code", "address", "phone", "website",
        "founded_year", "member_count"],
    2: ["contact_name", "contact_email", "contact_phone", "past_collaboration"],
    3: ["title", "summary", "issue", "activities", "outcomes"],
    5: ["budget_total", "budget_requested", "period_start", "period_end"],
}


@PAGES
@given(data=st.data())
def test_every_step_of_the_form_takes_hostile_text_without_a_5xx_or_raw_markup(client, draft, data):
    step = data.draw(st.sampled_from(sorted(TEXT_FIELDS)), label="step")
    fields = data.draw(st.lists(st.sampled_from(TEXT_FIELDS[step]), min_size=1, max_size=4, unique=True),
                       label="fields")
    typed = {field: data.draw(HOSTILE_TEXT, label=field) for field in fields}
    response = client.post(f"/proposals/{draft}/step/{step}", **_form({**VALID_STEPS[step], **typed}))
    _assert_clean_page(response, f"step {step} POST")
    if response.status_code != 302:
        _assert_clear_japanese_errors(response, f"step {step}")
    _assert_clean_page(client.get(f"/proposals/{draft}/step/{step}"), f"step {step} GET")
    _assert_clean_page(client.get(f"/proposals/{draft}/review"), "review")
    db.session.rollback()


@pytest.fixture
def submitted(client, applicant, make_proposal):
    proposal = make_proposal(applicant=applicant)
    sign_in(client, applicant)
    return proposal


@PAGES
@given(body=HOSTILE_TEXT)
def test_messages_take_hostile_text_without_a_5xx_or_raw_markup(client, submitted, body):
    response = client.post(f"/my/proposals/{submitted.reference}/messages", **_form({"body": body}))
    _assert_clean_page(response, "message POST")
    if response.status_code != 302:
        _assert_clear_japanese_errors(response, "message")
    _assert_clean_page(client.get(f"/my/proposals/{submitted.reference}"), "status page")


@PAGES
@given(email=st.one_of(HOSTILE_TEXT, st.emails()), password=HOSTILE_TEXT)
def test_sign_in_forms_take_hostile_text_without_a_5xx(app, email, password):
    client = app.test_client()
    response = client.post("/signin", **_form({"email": email}))
    _assert_clean_page(response, "signin")
    if response.status_code not in (302, 303):
        _assert_clear_japanese_errors(response, "signin")
    response = client.post("/staff/login", **_form({"email": email, "password": password}))
    _assert_clean_page(response, "staff login")
    assert response.status_code in (200, 400, 401, 403, 429), response.status_code
    db.session.rollback()
