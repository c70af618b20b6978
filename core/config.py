"""Configuration from environment variables, with embedded defaults.

The embedded default (no variables set) is a SQLite file under instance/,
tasks run in-process and emails stay in the outbox, so `make run` needs no
services. Production (APP_ENV=production) refuses to start without a
SECRET_KEY and marks cookies secure.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# Business-day deadlines, city-wide; each is overridable from the environment
# under the same name (DEADLINE_ACK_BUSINESS_DAYS=5 …). See docs/deadlines.md.
DEADLINE_DEFAULTS = {
    "DEADLINE_ACK_BUSINESS_DAYS": 5,
    "DEADLINE_ANSWER_BUSINESS_DAYS": 20,
    "DEADLINE_REMINDER_BUSINESS_DAYS": 2,  # reminder this many business days before the due date
    "DEADLINE_SECOND_LEVEL_BUSINESS_DAYS": 5,  # second level this many business days after the due date
    # The window's triage allowance: the date applicants are told, the triage
    # queue's flag, and then the window's managers are told.
    "TRIAGE_BUSINESS_DAYS": 2,
    # The applicant is reminded when a question is unanswered this many business days …
    "DEADLINE_APPLICANT_REPLY_BUSINESS_DAYS": 10,
    # … and this many business days later the department that asked and the window decide.
    "DEADLINE_APPLICANT_DECIDE_BUSINESS_DAYS": 5,
}


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _development_secret(instance_path: Path) -> str:
    """A secret generated once and kept in instance/, for development only."""
    instance_path.mkdir(parents=True, exist_ok=True)
    secret_file = instance_path / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(32))
        secret_file.chmod(0o600)
    return secret_file.read_text().strip()


def load_config(instance_path: Path, environ: dict[str, str] | None = None) -> dict:
    env = dict(os.environ if environ is None else environ)
    app_env = env.get("APP_ENV", "development")
    production = app_env == "production"

    secret_key = env.get("SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError("SECRET_KEY must be set when APP_ENV=production")
        secret_key = _development_secret(instance_path)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'window.sqlite3'}"
    # Heroku-style URLs and plain postgresql:// mean psycopg 3 here.
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://"):]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]

    redis_url = env.get("REDIS_URL") or None
    upload_dir = Path(env.get("UPLOAD_DIR") or instance_path / "uploads")

    return {
        "APP_ENV": app_env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # Celery: Redis in production; without Redis, tasks run in-process.
        "CELERY": {
            "broker_url": redis_url or "memory://",
            "result_backend": None,
            "task_always_eager": redis_url is None,
            "task_eager_propagates": True,
            "task_serializer": "json",
            "accept_content": ["json"],
            "task_ignore_result": True,
            "timezone": "Asia/Tokyo",
            "broker_connection_retry_on_startup": True,
            "task_routes": {
                "outbox.*": {"queue": "mail"},
                "deadlines.*": {"queue": "scheduler"},
            },
            "task_default_queue": "default",
        },
        # Mail: with no MAIL_SERVER, emails are kept in the outbox and read
        # by an administrator in the browser.
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_FROM": env.get("MAIL_FROM") or "window@city.example.jp",
        # "after_commit": dispatch a delivery task after each commit that
        # queued mail; "manual": leave it to the sweep (used by tests).
        "OUTBOX_DISPATCH": env.get("OUTBOX_DISPATCH") or "after_commit",
        "BASE_URL": (env.get("BASE_URL") or "http://127.0.0.1:" + (env.get("PORT") or "5000")).rstrip("/"),
        "CITY_NAME_JA": env.get("CITY_NAME_JA") or "川崎市",
        "CITY_NAME_EN": env.get("CITY_NAME_EN") or "Kawasaki City",
        "REFERENCE_PREFIX": env.get("REFERENCE_PREFIX") or "KW",
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "LANGUAGES": ["ja", "en"],
        "SESSION_COOKIE_SECURE": production or _bool(env.get("SESSION_COOKIE_SECURE")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis lost: count in this process's memory until it is back, so
        # sign-in and submissions keep working and stay limited (issue 13).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "LOGIN_MAX_FAILURES": int(env.get("LOGIN_MAX_FAILURES") or 5),
        "LOGIN_LOCKOUT_MINUTES": int(env.get("LOGIN_LOCKOUT_MINUTES") or 15),
        "SIGNIN_LINK_MINUTES": int(env.get("SIGNIN_LINK_MINUTES") or 30),
        # Personal data of proposals closed longer than this is anonymised (flask privacy purge).
        "PRIVACY_RETENTION_DAYS": int(env.get("PRIVACY_RETENTION_DAYS") or 5 * 365),
        "UPLOAD_DIR": str(upload_dir),
        "MAX_ATTACHMENTS": int(env.get("MAX_ATTACHMENTS") or 5),
        "MAX_ATTACHMENT_BYTES": int(env.get("MAX_ATTACHMENT_MB") or 10) * 1024 * 1024,
        "AUTO_ROUTE_CONFIDENCE": float(env["AUTO_ROUTE_CONFIDENCE"]) if env.get("AUTO_ROUTE_CONFIDENCE") else None,
        "OPEN_DATA_LICENCE": env.get("OPEN_DATA_LICENCE") or "CC BY 4.0",
        **{name: int(env.get(name) or default) for name, default in DEADLINE_DEFAULTS.items()},
    }
