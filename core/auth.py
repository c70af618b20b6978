"""Sign-in. Staff: email and password (argon2); repeated failures are
stopped per address and client (SECURITY.md says why not per account).
Applicants: a one-time link by email, no password; the answer never
reveals whether an address is registered. A link never signs in a staff
account (that would bypass the password and its limits): a staff address
gets a note pointing to the staff sign-in instead."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache, wraps
from urllib.parse import urlsplit

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from core.audit import Actor, record_event
from core.columns import utcnow
from core.extensions import db, limiter
from core.forms import SignInLinkForm, StaffLoginForm, normalise_email
from core.models import Role, SignInToken, User
from core.outbox import queue_templated_email

bp = Blueprint("auth", __name__)
password_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the address is unknown, so a wrong address costs as long as a wrong password.
    Made on first use: hashing takes a tenth of a second, which every `flask` command paid at start-up."""
    return password_hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None else None
    try:
        matched = password_hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and stored is not None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths, never another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def load_user(session_id: str) -> User | None:
    """The user of a session cookie ("<id>:<session version>", see
    User.get_id): a cookie from before a sign-out or a password change
    carries an old version and opens nothing."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """Every session of this user ends (each browser, each copied cookie)."""
    user.session_version += 1
    db.session.flush()


def change_password(user: User, new_password: str, actor: Actor) -> None:
    """A new password ends the user's other sessions; the caller signs the
    user in again if it is their own change."""
    user.password_hash = hash_password(new_password)
    user.failed_logins = 0
    end_sessions(user)
    record_event(actor, "password_changed", data={"user_id": user.id})


def unauthorized():
    if request.path.startswith("/api/"):
        return {"error": "Unauthorized", "status": 401}, 401
    return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))


def staff_required(*roles: Role):
    """Only staff (of the given roles, when named). Administrators always pass."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return unauthorized()
            if not current_user.is_staff:
                abort(403)
            if roles and current_user.role not in roles and current_user.role != Role.ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def applicant_required(view):
    """Only applicants (Role.APPLICANT): staff work on their own pages and are
    refused here (403). An applicant need not belong to an organisation yet:
    the first proposal creates it, and every applicant page shows only the
    user's own organisations' data."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return unauthorized()
        if current_user.role != Role.APPLICANT:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# --- applicants: one-time sign-in link -------------------------------------------------

def _email_rate_key() -> str:
    email = normalise_email(request.form.get("email"))
    # An empty address is not one person: fall back to the client, never one shared counter.
    return "signin-email:" + (email or "client:" + (get_remote_address() or ""))


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("5 per hour", methods=["POST"], key_func=_email_rate_key)
def signin():
    form = SignInLinkForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        if not form.website.data:  # the honeypot stays empty for people
            issue_signin_link(form.email.data, safe_next(form.next.data, url_for("core.home")))
            db.session.commit()
        return redirect(url_for("auth.link_sent"))
    return render_template("core/signin.html", form=form)


@bp.route("/signin/sent")
def link_sent():
    return render_template("core/signin_sent.html")


def issue_signin_link(email: str, next_url: str | None = None) -> str | None:
    """Create a one-time token and queue the email. The same answer for
    known and unknown addresses: a first link also creates the account.
    Staff addresses get no link (staff sign in with their password), only a
    note saying where to sign in; None is returned."""
    minutes = current_app.config["SIGNIN_LINK_MINUTES"]
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None and user.role != Role.APPLICANT:
        queue_templated_email(
            email, "signin_staff", key=f"signin-staff:{user.id}:{secrets.token_hex(8)}", locale=user.locale or "ja",
            link=url_for("auth.staff_login", _external=False),
        )
        record_event(Actor.system("sign-in"), "signin_link_refused", data={"user_id": user.id, "reason": "staff"})
        return None
    token = secrets.token_urlsafe(32)
    row = SignInToken(
        email=email, token_hash=token_digest(token), next_url=next_url,
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    db.session.add(row)
    db.session.flush()
    locale = user.locale if user else str(get_locale() or "ja")
    queue_templated_email(
        email, "signin_link", key=f"signin:{row.id}", locale=locale,
        link=url_for("auth.use_link", token=token, _external=False), minutes=minutes,
    )
    return token


@bp.route("/signin/link/<token>", methods=["GET", "POST"])
def use_link(token: str):
    row = db.session.scalar(sa.select(SignInToken).where(SignInToken.token_hash == token_digest(token)))
    valid = row is not None and row.used_at is None and row.expires_at > utcnow()
    if not valid:
        return render_template("core/signin_link_invalid.html"), 400
    user = db.session.scalar(sa.select(User).where(User.email == row.email))
    if user is not None and user.role != Role.APPLICANT:
        # A link issued before the address became a staff account (or before
        # this check): staff sign in with their password, never with a link.
        if request.method == "POST":
            row.used_at = utcnow()
            record_event(Actor.system("sign-in"), "signin_link_refused", data={"user_id": user.id, "reason": "staff"})
            db.session.commit()
        return render_template("core/signin_link_invalid.html", staff=True), 400
    # GET shows a button: mail scanners that open links do not use them up.
    if request.method == "GET":
        return render_template("core/signin_link_confirm.html", token=token)
    row.used_at = utcnow()
    if user is None:
        user = User(email=row.email, role=Role.APPLICANT, locale=str(get_locale() or "ja"))
        db.session.add(user)
        db.session.flush()
        record_event(Actor.of_user(user), "applicant_registered")
    if not user.active:
        abort(403)
    user.last_login_at = utcnow()
    record_event(Actor.of_user(user), "signed_in", data={"method": "link"})
    db.session.commit()
    login_user(user)
    session.permanent = True
    flash(_l("%(email)s でサインインしました。", email=user.email), "info")
    return redirect(safe_next(row.next_url, url_for("core.home")))


# --- staff: email and password ------------------------------------------------------------

def _failed_login_key() -> str:
    """Failures count per (typed address, client): someone elsewhere cannot
    lock a member of staff out, and a real address is counted exactly like
    an unknown one, so the answer tells nothing about which exist."""
    email = normalise_email(request.form.get("email")) or ""
    return f"staff-login-failures:{email}:{get_remote_address() or ''}"


def _failure_limit() -> str:
    config = current_app.config
    return f"{config['LOGIN_MAX_FAILURES']} per {config['LOGIN_LOCKOUT_MINUTES']} minutes"


def _login_failed(response) -> bool:
    return bool(g.get("staff_login_failed"))


@bp.route("/staff/login", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
@limiter.limit(_failure_limit, methods=["POST"], key_func=_failed_login_key, deduct_when=_login_failed)
def staff_login():
    form = StaffLoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        user, error = authenticate_staff(form.email.data, form.password.data)
        g.staff_login_failed = user is None
        db.session.commit()
        if user is not None:
            login_user(user)
            session["lang"] = session.get("lang") or user.locale
            flash(_l("%(email)s でサインインしました。", email=user.email), "info")
            return redirect(safe_next(form.next.data, url_for("core.staff_home")))
    return render_template("core/staff_login.html", form=form, error=error)


def authenticate_staff(email: str, password: str) -> tuple[User | None, str | None]:
    """Check the password (an unknown address costs one hash too, so both
    take as long). Too many failures are stopped per address and client by
    the limiter on the view, never by locking the account."""
    user = db.session.scalar(sa.select(User).where(User.email == email, User.role != Role.APPLICANT))
    if not verify_password(user, password) or not user.active:
        if user is not None:
            _count_failure(user)
        return None, _l("メールアドレスまたはパスワードが正しくありません。")
    user.failed_logins = 0
    user.last_login_at = utcnow()
    record_event(Actor.of_user(user), "signed_in", data={"method": "password"})
    return user, None


def _count_failure(user: User) -> None:
    """Counted for the audit log only (an attack on one account shows up
    there); the account stays usable from every other client."""
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.failed_logins = 0
        record_event(Actor.system("sign-in"), "repeated_login_failures", data={"user_id": user.id})


@bp.route("/signout", methods=["POST"])
def signout():
    if current_user.is_authenticated:
        end_sessions(current_user)
        record_event(Actor.of_user(current_user), "signed_out")
        db.session.commit()
    logout_user()
    flash(_l("サインアウトしました。"), "info")
    return redirect(url_for("core.home"))
