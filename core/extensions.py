"""Flask extensions, created once and bound in create_app."""

from __future__ import annotations

import logging

import click
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so Alembic migrations work on PostgreSQL and SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _LazyGroup(click.Group):
    """A command group listed under its name and help, loaded when it runs: `flask --help` does not import it."""

    def __init__(self, name: str, load, help: str):  # noqa: A002
        super().__init__(name=name, help=help)
        self._load = load

    def make_context(self, info_name, args, parent=None, **extra):
        return self._load().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        return self._load().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        return self._load().get_command(ctx, cmd_name)


class _Pending:
    """app.extensions["migrate"] until Flask-Migrate is loaded: the first attribute read loads it
    (flask_migrate.upgrade() in tests and the demo, migrations/env.py)."""

    def __init__(self, load):
        self._load = load

    def __getattr__(self, name: str):
        self._load()
        return getattr(self._load.app.extensions["migrate"], name)


class LazyMigrate:
    """Flask-Migrate, imported (with Alembic: a quarter of `flask`'s start-up, issue 16) only when a
    `flask db` command runs or a migration is applied."""

    def init_app(self, app, db, **kwargs) -> None:
        def load() -> click.Group:
            if isinstance(app.extensions.get("migrate"), _Pending):
                # Alembic announces its plugins at INFO when imported; imported after create_app() set the
                # log level, it would print them before every `flask db` command.
                logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
                from flask_migrate import Migrate

                Migrate().init_app(app, db, **kwargs)  # app.extensions["migrate"] and the `db` group
            return app.cli.commands["db"]

        load.app = app
        app.extensions["migrate"] = _Pending(load)
        app.cli.add_command(_LazyGroup("db", load, help="Perform database migrations."))


db = SQLAlchemy(model_class=Base)
migrate = LazyMigrate()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _plan_with_the_values(dbapi_connection, _record) -> None:
    """psycopg prepares a statement on the server after five runs, and
    PostgreSQL may then keep one generic plan for it, chosen while a table
    was small: an outbox lookup by idempotency key planned on an empty table
    stayed a sequential scan through a whole sweep (issue 16). Unprepared
    statements are planned with their values each time and use the indexes
    as the tables grow; the planning costs far less than one bad plan."""
    if hasattr(dbapi_connection, "prepare_threshold"):  # psycopg 3; SQLite has no such thing
        dbapi_connection.prepare_threshold = None
