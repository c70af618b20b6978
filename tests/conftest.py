"""Test fixtures.

The database is real: SQLite by default, PostgreSQL when TEST_DATABASE_URL
says so (CI runs both). The schema comes from the real Alembic migrations,
once per session. Every test starts from empty tables plus the reference
data (departments, themes), so tests may commit freely, run threads and
drive a live server in Chromium.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import tempfile
import threading
import uuid
from pathlib import Path

import accessibility
import pytest
import sqlalchemy as sa
from flask import current_app, has_app_context
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from core.extensions import db
from window import create_app

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tempfile.mkdtemp(prefix='window-test-')}/test.sqlite3"


def _ensure_postgres_database(url: str) -> None:
    """Create the named test database if it does not exist yet."""
    engine_url = sa.engine.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(engine_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": engine_url.database})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{engine_url.database}"'))
    admin.dispose()


DATABASE_URL = _database_url()
IS_POSTGRES = DATABASE_URL.startswith("postgres")


def app_config(**extra) -> dict:
    from core.config import load_config

    # Tasks run in-process in tests unless a test asks for the real broker.
    celery = {**load_config(Path(tempfile.gettempdir()))["CELERY"], "task_always_eager": True}
    config = {
        "CELERY": celery,
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        "WTF_CSRF_ENABLED": False,
        "OUTBOX_DISPATCH": "manual",
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
        # Counters start empty in every app (Redis would keep them across tests and runs);
        # a test that wants Redis storage passes RATELIMIT_STORAGE_URI itself.
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        "UPLOAD_DIR": tempfile.mkdtemp(prefix="window-uploads-"),
    }
    config.update(extra)
    return config


@contextlib.contextmanager
def other_app(**overrides):
    """A second app with other settings, on the same database, inside its
    own app context; its connections are closed afterwards. Make the test's
    objects inside the block: an object of the outer session that reloads
    inside it borrows a connection of this app's engine and keeps it open."""
    from core.extensions import limiter

    was_enabled = limiter.enabled  # the limiter is one object shared by every app
    outer_celery = current_app.extensions.get("celery") if has_app_context() else None
    application = create_app(app_config(**overrides))
    application.test_client_class = IsolatedClient
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()
            db.engine.dispose()
            # Decorated views check limiter.enabled on every call: leave the
            # shared test app unlimited again.
            limiter.enabled = was_enabled
            if outer_celery is not None:  # creating an app made its Celery the process's default
                outer_celery.set_default()


def _reset_schema(app) -> None:
    """Drop everything and run the real migrations from the first revision."""
    from flask_migrate import upgrade

    with app.app_context():
        if IS_POSTGRES:
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production (the test
    itself holds one open for db.session); afterwards the test's session
    forgets what it had loaded, so it sees what the request committed."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        try:
            db.session.expire_all()
        except RuntimeError:  # no app context in this test
            pass
        return response


@pytest.fixture(scope="session")
def app():
    if IS_POSTGRES:
        _ensure_postgres_database(DATABASE_URL)
    application = create_app(app_config())
    application.test_client_class = IsolatedClient
    _reset_schema(application)
    yield application
    with application.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter does


def _empty_tables(app) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if IS_POSTGRES:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def clean_db(app):
    """Each test: empty tables, reference data loaded, an app context."""
    from core.extensions import limiter
    from core.seed import seed_reference

    # The limiter is one object shared by every app: any create_app() with
    # limits on (other_app, importing worker.py) switches it on for all.
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    with app.app_context():
        _empty_tables(app)
        seed_reference()
        db.session.commit()
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories --------------------------------------------------------------------------------

@pytest.fixture
def make_user():
    from core.auth import hash_password
    from core.models import Department, Role, User

    counter = iter(range(1, 10_000))
    cached_hash = {}

    def factory(role: str = "applicant", department: str | None = None, email: str | None = None,
                password: str = "correct horse battery", **fields) -> User:
        role = Role(role)
        if role != Role.APPLICANT and department is None:
            department = "jichi"
        dept = db.session.scalar(sa.select(Department).where(Department.code == department)) if department else None
        if role != Role.APPLICANT and password not in cached_hash:
            cached_hash[password] = hash_password(password)
        user = User(
            email=email or f"user{next(counter)}-{uuid.uuid4().hex[:6]}@example.jp",
            role=role,
            department=dept,
            password_hash=cached_hash.get(password) if role != Role.APPLICANT else None,
            name=fields.pop("name", "テスト 利用者"),
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_organisation(make_user):
    from core.models import Membership, Organisation, OrganisationKind

    def factory(name: str = "NPO法人テスト", kind: str = "npo_corp", members=()) -> Organisation:
        organisation = Organisation(name=name, kind=OrganisationKind(kind), city="川崎市")
        for member in members:
            organisation.memberships.append(Membership(user=member))
        db.session.add(organisation)
        db.session.commit()
        return organisation

    return factory


@pytest.fixture
def make_proposal(make_user, make_organisation):
    """A proposal by a fresh applicant; submitted unless state='draft'."""
    from core.audit import Actor
    from core.models import Department, Theme
    from proposals import operations
    from proposals.models import Proposal, ProposalTheme, ProposalWard

    def factory(state: str = "triage", themes=("welfare-elderly",), wards=("ward-miyamae",), scope="ward",
                applicant=None, **fields) -> Proposal:
        applicant = applicant or make_user("applicant")
        organisation = make_organisation(members=[applicant])
        defaults = dict(
            title="宮前区の高齢者サロンとスマホ相談会", summary="高齢者のサロンでスマホ相談会を開きます。",
            issue="高齢者の孤立", activities="月2回のサロン", outcomes="参加者数", scope=scope, stage="established",
            exit_strategy="business", contact_name="寄合 一子", contact_email=applicant.email,
            consent_privacy=True,
        )
        defaults.update(fields)
        if defaults.get("consent_publish") and "consent_version" not in defaults:
            from proposals.visibility import CURRENT_CONSENT_VERSION
            defaults["consent_version"] = CURRENT_CONSENT_VERSION  # as intake.operations.submit_proposal does
        proposal = Proposal(organisation=organisation, created_by=applicant, **defaults)
        theme_rows = {t.code: t for t in db.session.scalars(sa.select(Theme))}
        proposal.theme_links = [ProposalTheme(theme=theme_rows[c], position=i) for i, c in enumerate(themes)]
        for code in wards:
            ward = db.session.scalar(sa.select(Department).where(Department.code == code))
            proposal.ward_links.append(ProposalWard(ward=ward))
        db.session.add(proposal)
        db.session.flush()
        if state != "draft":
            operations.submit(proposal, Actor.of_user(applicant))
        db.session.commit()
        return proposal

    return factory


def sweep_twice_at_once(app, now) -> list:
    """Two deadline sweeps started together in two threads (each in its own
    app context and transaction); their results, after both committed."""
    from responses.sweep import sweep

    barrier = threading.Barrier(2)
    results, errors = [], []

    def run_sweep():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results.append(sweep(now))
                db.session.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run_sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    return results


def department_id(code: str) -> int:
    from core.models import Department

    return db.session.scalar(sa.select(Department.id).where(Department.code == code))


# --- live server and browser ------------------------------------------------------------------

class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture
def live_server(app):
    app.config["BASE_URL"] = "http://placeholder"
    with LiveServer(app) as server:
        app.config["BASE_URL"] = server.url
        yield server


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                              args=CHROMIUM_ARGS, headless=True)
        with accessibility.every_page_checked():
            yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def no_serious_accessibility_violations():
    """axe-core ran on every page a browser journey left (tests/accessibility.py):
    no serious or critical violation."""
    accessibility.FINDINGS.clear()
    yield
    findings, accessibility.FINDINGS[:] = list(accessibility.FINDINGS), []
    assert not findings, "axe-core: serious or critical violations\n" + "\n".join(findings)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Anything the Content-Security-Policy blocked (an inline script, a style
    # attribute, another origin) would silently break a page: fail the journey.
    blocked = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert not blocked, blocked


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (look at them)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_terminal_summary(terminalreporter):
    if accessibility.checked_pages:
        terminalreporter.write_line(f"axe-core {accessibility.AXE_VERSION}: {accessibility.checked_pages} pages checked"
                                    f" in {accessibility.seconds:.0f} s")
