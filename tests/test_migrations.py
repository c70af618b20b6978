"""Alembic: one head, the real migrations build the schema the models
describe (no drift), and they run down and up again cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from core.columns import include_in_migrations, render_migration_item
from core.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _script() -> ScriptDirectory:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def test_there_is_exactly_one_head():
    heads = _script().get_heads()
    assert len(heads) == 1, f"several heads: {heads} — chain the new revision after the previous head"


def test_revision_files_are_dated_and_described():
    for revision in _script().walk_revisions():
        path = Path(revision.path).name
        assert path[:8].isdigit(), f"{path} should start with its date (YYYYMMDD_)"
        assert revision.doc and revision.doc.strip(), f"{path} has no message"


def test_models_and_migrations_do_not_drift(app):
    """The same check as `flask db check`: the migrated schema equals the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_item": render_migration_item,
                              "include_object": include_in_migrations}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_base_and_upgrade_again(app):
    downgrade(revision="base")
    with db.engine.connect() as connection:
        remaining = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    upgrade()
    with db.engine.connect() as connection:
        tables = set(db.inspect(connection).get_table_names())
    assert {"proposals", "events", "outbox_emails", "departments"} <= tables
