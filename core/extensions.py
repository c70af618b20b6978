"""Flask extensions, created once and bound in create_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
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


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
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
