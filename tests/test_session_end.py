"""Finding 4 of issue 13: signing out ends the session everywhere; a session
cookie copied before the sign-out (or before a password change) opens
nothing afterwards."""

from __future__ import annotations

import sqlalchemy as sa

from core.audit import Actor
from core.auth import change_password
from core.extensions import db
from core.models import Event, User

PASSWORD = "correct horse battery"


def _signed_in_staff(app, user):
    client = app.test_client()
    assert client.post("/staff/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


def _copy(app, client):
    """Another browser holding a copy of the session cookie (a stolen cookie, a shared computer)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_cookie_copied_before_sign_out_no_longer_opens_the_inbox(app, make_user):
    staff = make_user("department_staff", "ward-miyamae")
    client = _signed_in_staff(app, staff)
    thief = _copy(app, client)
    assert thief.get("/inbox").status_code == 200  # the copy works while the session lives
    client.post("/signout")
    response = thief.get("/inbox")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    assert client.get("/inbox").status_code == 302
    assert db.session.scalar(sa.select(Event.kind).where(Event.actor_user_id == staff.id, Event.kind == "signed_out"))
    # Signing in again works, with a new session.
    assert _signed_in_staff(app, staff).get("/inbox").status_code == 200
    assert thief.get("/inbox").status_code == 302


def test_signing_out_on_one_device_ends_the_applicants_other_sessions(app, make_user):
    from intake_helpers import sign_in

    applicant = make_user("applicant")
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, applicant)
    sign_in(laptop, applicant)
    assert laptop.get("/my").status_code == 200
    phone.post("/signout")
    assert laptop.get("/my").status_code == 302


def test_a_password_change_ends_every_session(app, make_user):
    staff = make_user("window")
    client = _signed_in_staff(app, staff)
    thief = _copy(app, client)
    user = db.session.get(User, staff.id)
    change_password(user, "a brand new passphrase", Actor.of_user(user))
    db.session.commit()
    assert thief.get("/triage/").status_code == 302
    assert client.get("/triage/").status_code == 302
    assert app.test_client().post("/staff/login", data={"email": staff.email, "password": PASSWORD}).status_code == 200
    fresh = app.test_client()
    assert fresh.post("/staff/login", data={"email": staff.email,
                                            "password": "a brand new passphrase"}).status_code == 302
    assert fresh.get("/triage/").status_code == 200


def test_a_session_id_without_a_version_opens_nothing(app, make_user):
    """Cookies from before session versions (a bare user id) sign in again."""
    staff = make_user("window")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(staff.id)
    assert client.get("/triage/").status_code == 302
