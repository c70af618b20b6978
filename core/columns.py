"""Column types and timestamps every package's models use: aware UTC timestamps by the kernel's clock,
string enums limited by a CHECK constraint, JSON that is JSONB on PostgreSQL; and how Alembic compares and
renders them (the hand-made FTS5 tables it must skip)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from core.clock import clock


def utcnow() -> datetime:
    """Now, by the kernel's clock (core/clock.py: the wall clock unless a test, the simulation or the demo set it)."""
    return clock.now()


def str_enum(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A string column limited by a CHECK constraint (portable to SQLite)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# JSON that is JSONB on PostgreSQL (indexable) and JSON text elsewhere.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTimeType(sa.types.TypeDecorator):
    """Timestamps are aware and in UTC on every database (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


UTCDateTime = UTCDateTimeType()


# Tables a migration creates by hand, outside the models: SQLite FTS5 virtual
# tables (search_fts) and the shadow tables SQLite keeps for them.
UNMODELLED_TABLES = ("search_fts",)


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's comparison skips the hand-made tables (`flask db check`, the drift test)."""
    return not (type_ == "table" and reflected and compare_to is None and str(name).startswith(UNMODELLED_TABLES))


def render_migration_item(type_, obj, _autogen_context):
    """Alembic renders our column types as plain SQLAlchemy types."""
    if type_ == "type" and isinstance(obj, UTCDateTimeType):
        return "sa.DateTime(timezone=True)"
    return False
