"""Sign-in: staff passwords (argon2, lockout), applicants' one-time links
that never reveal whether an address is registered, CSRF, rate limits."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import other_app
from intake_helpers import comparable_page

from core.columns import utcnow
from core.extensions import db
from core.models import Event, OutboxEmail, Role, SignInToken, User


def _link_from_outbox(to: str) -> str:
    email = db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.to_address == to).order_by(OutboxEmail.id.desc())
    ).first()
    assert email is not None, f"no email to {to}"
    line = next(line for line in email.body_text.splitlines() if "/signin/link/" in line)
    return line[line.index("/signin/link/"):].strip()


def test_staff_password_is_stored_with_argon2_and_signs_in(client, make_user):
    user = make_user("window", password="a long passphrase")
    assert user.password_hash.startswith("$argon2")
    response = client.post("/staff/login", data={"email": user.email.upper(), "password": "a long passphrase"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 403  # signed in, but not an administrator
    event = db.session.scalar(sa.select(Event).where(Event.kind == "signed_in"))
    assert event.actor_user_id == user.id and event.data == {"method": "password"}


def test_wrong_password_is_refused_with_a_generic_message(client, make_user):
    user = make_user("window", password="right one here")
    page = client.post("/staff/login", data={"email": user.email, "password": "wrong"}).get_data(as_text=True)
    unknown = client.post("/staff/login", data={"email": "nobody@example.jp", "password": "x"}).get_data(as_text=True)
    assert "メールアドレスまたはパスワードが正しくありません" in page
    assert "メールアドレスまたはパスワードが正しくありません" in unknown


def _limited_login(client, email, password, ip):
    return client.post("/staff/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip})


def test_repeated_failures_stop_that_address_from_that_client_only(make_user):
    """Issue 13, finding 7: failures count per (address, client). The client
    that guessed is stopped for a while; the member of staff, elsewhere, is not."""
    with other_app(RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}") as app:
        user = make_user("department_staff", "kankyo", password="the right password")
        attacker, staff = app.test_client(), app.test_client()
        limit = app.config["LOGIN_MAX_FAILURES"]
        codes = [_limited_login(attacker, user.email, "wrong", "192.0.2.66").status_code for _ in range(limit)]
        assert codes == [200] * limit
        assert _limited_login(attacker, user.email, "the right password", "192.0.2.66").status_code == 429
        assert _limited_login(staff, user.email, "the right password", "198.51.100.7").status_code == 302
        assert db.session.get(User, user.id).locked_until is None  # nothing locks the account itself
        # Successes do not count: a member of staff signing in often is never stopped.
        for _ in range(limit + 2):
            assert _limited_login(app.test_client(), user.email, "the right password", "198.51.100.8").status_code == 302
        assert db.session.scalar(sa.select(Event).where(Event.kind == "repeated_login_failures")).data == {
            "user_id": user.id}


def test_a_stopped_real_account_answers_exactly_like_an_unknown_address(make_user):
    with other_app(RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}") as app:
        user = make_user("window", password="the right password")
        client = app.test_client()
        answers = {}
        for email in (user.email, "nobody-here@city.example.jp"):
            for _ in range(app.config["LOGIN_MAX_FAILURES"]):
                _limited_login(client, email, "wrong", "192.0.2.9")
            answers[email] = _limited_login(client, email, "wrong", "192.0.2.9")
        real, unknown = answers[user.email], answers["nobody-here@city.example.jp"]
        assert real.status_code == unknown.status_code == 429
        assert comparable_page(real.get_data(as_text=True)) == comparable_page(unknown.get_data(as_text=True))
        assert "一時的にロックされています" not in real.get_data(as_text=True)


def test_a_wrong_password_and_an_unknown_address_take_as_long(client, make_user):
    """Both verify one argon2 hash (a dummy one for an unknown address), so
    timing does not tell which staff addresses exist."""
    import statistics
    import time

    user = make_user("window", password="the right password")

    def timed(email):
        started = time.perf_counter()
        client.post("/staff/login", data={"email": email, "password": "wrong"})
        return time.perf_counter() - started

    timed(user.email), timed("warm-up@example.jp")
    known = statistics.median(timed(user.email) for _ in range(7))
    unknown = statistics.median(timed("nobody-here@city.example.jp") for _ in range(7))
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_signin_link_answer_is_the_same_for_known_and_unknown_addresses(client, make_user):
    known = make_user("applicant")
    first = client.post("/signin", data={"email": known.email})
    second = client.post("/signin", data={"email": "stranger@example.jp"})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    pages = [comparable_page(client.get(answer.headers["Location"]).get_data(as_text=True))
             for answer in (first, second)]
    assert pages[0] == pages[1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 2


def test_signin_link_works_once_and_creates_the_applicant(client):
    client.post("/signin", data={"email": "ｎｅｗ@example.jp", "next": "/my"})  # full-width is normalised
    link = _link_from_outbox("new@example.jp")
    assert "サインインする" in client.get(link).get_data(as_text=True)  # GET does not use the link up
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"] == "/my"
    assert "new@example.jp でサインインしました。" in client.get("/my").get_data(as_text=True)  # said once, where they land
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.jp"))
    assert user.role == Role.APPLICANT
    assert client.post(link).status_code == 400  # used once already
    kinds = db.session.scalars(sa.select(Event.kind).where(Event.actor_user_id == user.id).order_by(Event.id)).all()
    assert kinds == ["applicant_registered", "signed_in"]


@pytest.mark.parametrize("role", ["admin", "window", "department_staff"])
def test_signin_links_never_sign_in_staff_and_the_answer_is_the_same(client, make_user, role):
    """A link would bypass the staff password and the lockout: staff addresses get no link,
    only a note pointing to /staff/login, and the visitor sees exactly the same answer."""
    staff = make_user(role)
    applicant = make_user("applicant")
    answers = [client.post("/signin", data={"email": address})
               for address in (staff.email, applicant.email, "stranger@example.jp")]
    assert {a.status_code for a in answers} == {302}
    assert len({a.headers["Location"] for a in answers}) == 1
    pages = {comparable_page(client.get(a.headers["Location"]).get_data(as_text=True)) for a in answers}
    assert len(pages) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignInToken)
                             .where(SignInToken.email == staff.email)) == 0
    [note] = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == staff.email)).all()
    assert "/signin/link/" not in note.body_text and "/staff/login" in note.body_text
    assert client.get("/my").status_code == 302  # nobody is signed in


def test_a_link_for_a_staff_address_does_not_sign_in(client, make_user):
    """A link issued while the address was still unknown (it became a staff account later)."""
    from core.auth import token_digest

    client.post("/signin", data={"email": "later-admin@example.jp"})
    link = _link_from_outbox("later-admin@example.jp")
    admin = make_user("admin", email="later-admin@example.jp")
    assert "サインインする" not in client.get(link).get_data(as_text=True)
    response = client.post(link)
    assert response.status_code == 400
    assert "/staff/login" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in: sent to sign in
    row = db.session.scalar(sa.select(SignInToken).where(SignInToken.token_hash == token_digest(link.rsplit("/", 1)[1])))
    assert row.used_at is not None  # used up, not reusable
    assert db.session.get(User, admin.id).last_login_at is None


def test_expired_signin_link_is_refused(client):
    client.post("/signin", data={"email": "late@example.jp"})
    link = _link_from_outbox("late@example.jp")
    db.session.execute(sa.update(SignInToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert client.post(link).status_code == 400


def test_signin_never_redirects_to_another_site(client):
    client.post("/signin", data={"email": "x@example.jp", "next": "https://evil.example/"})
    response = client.post(_link_from_outbox("x@example.jp"))
    assert response.headers["Location"] == "/"


def test_honeypot_sends_nothing_but_answers_the_same(client):
    response = client.post("/signin", data={"email": "bot@example.jp", "website": "http://spam"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0


def test_invalid_email_gets_a_specific_japanese_error_and_keeps_the_input(client):
    page = client.post("/signin", data={"email": "not-an-address"}).get_data(as_text=True)
    assert "メールアドレスの形式が正しくありません" in page
    assert 'value="not-an-address"' in page


def test_forms_are_protected_against_csrf():
    with other_app(WTF_CSRF_ENABLED=True) as app:
        client = app.test_client()
        assert client.post("/signin", data={"email": "a@example.jp"}).status_code == 400
        assert client.post("/staff/login", data={"email": "a@example.jp", "password": "x"}).status_code == 400


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_signin_links_are_rate_limited_per_address(storage):
    """Production keeps the counters in Redis, shared by every web process."""
    if storage == "redis" and not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (CI runs this with REDIS_URL)")
    uri = os.environ["REDIS_URL"] if storage == "redis" else "memory://"
    with other_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=uri,
                   RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}") as app:
        client = app.test_client()
        codes = [client.post("/signin", data={"email": "flood@example.jp"}).status_code for _ in range(6)]
    assert codes[:5] == [302] * 5
    assert codes[5] == 429


def test_session_cookie_is_httponly_and_secure_in_production(monkeypatch, tmp_path):
    from core.config import load_config

    config = load_config(tmp_path, {"APP_ENV": "production", "SECRET_KEY": "s" * 40})
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("path", ["/my", "/my/settings", "/partners/interests"])
def test_applicant_pages_are_for_applicants_only(app, make_user, make_organisation, path):
    """applicant_required: staff of every role are refused (403); an applicant is let in whether or
    not they belong to an organisation yet (the first proposal creates it); nobody signed in is
    sent to sign in."""
    from intake_helpers import sign_in

    assert app.test_client().get(path).status_code == 302
    for role in ("window", "department_staff", "department_manager", "admin"):
        client = app.test_client()
        sign_in(client, make_user(role))
        assert client.get(path).status_code == 403, role
    member = make_user("applicant")
    make_organisation(name="みやまえ寄り合い", members=[member])
    for applicant in (make_user("applicant"), member):  # without, then with an organisation
        client = app.test_client()
        sign_in(client, applicant)
        assert client.get(path).status_code == 200
