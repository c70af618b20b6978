"""Many rows in one INSERT, for the deadline sweep's batches (escalations,
their emails and events).

On PostgreSQL the rows go as one array per column, unnested by the server:
INSERT … SELECT … FROM unnest(…) WITH ORDINALITY, one statement and a
handful of parameters whatever the number of rows. An executemany of
thousands of rows cost far more: SQLAlchemy's insertmanyvalues builds
statements of thousands of placeholders that psycopg parses again each
time (1 ms and more per row at 100,000 proposals, docs/deadlines.md).
Elsewhere (SQLite) it is the ordinary executemany.

The values are the column types' own (an enum member, a dict for JSON, an
aware datetime): each is converted by the column type's bind processor,
as SQLAlchemy would, and sent as an array of the column's type."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db


def insert_rows(table: sa.Table, rows: list[dict], *, on_conflict: Sequence[str] | None = None,
                returning: Sequence[str] = ()) -> list[sa.Row]:
    """Insert `rows` (dicts with the same keys) into `table`. With
    `on_conflict` (the columns of a unique index) a row whose key exists
    is skipped (ON CONFLICT DO NOTHING). Returns the `returning` columns of
    the rows inserted, in the rows' order (PostgreSQL: ids are taken in
    the SELECT's order, as SQLAlchemy's own sort_by_parameter_order
    assumes of a serial key; the first returning column must be it)."""
    if not rows:
        return []
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        insert = sqlite.insert(table) if connection.dialect.name == "sqlite" else sa.insert(table)
        if on_conflict:
            insert = insert.on_conflict_do_nothing(index_elements=list(on_conflict))
        if returning:
            insert = insert.returning(*(table.c[name] for name in returning),
                                      sort_by_parameter_order=not on_conflict)
            return connection.execute(insert, rows).all()
        connection.execute(insert, rows)
        return []
    names = list(rows[0])
    dialect = connection.dialect
    params, arrays = {}, []
    for n, name in enumerate(names):
        column = table.c[name]
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        values = [row[name] for row in rows]
        if isinstance(column.type.dialect_impl(dialect), sa.JSON):  # JSONB: the text, cast by the server
            values = [None if value is None else json.dumps(value) for value in values]
        elif process is not None:
            values = [process(value) for value in values]
        params[f"p{n}"] = values
        arrays.append(f"CAST(:p{n} AS {column.type.compile(dialect=postgresql.dialect())}[])")
    columns = ", ".join(f'"{name}"' for name in names)
    statement = (f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM unnest({", ".join(arrays)}) '
                 f'WITH ORDINALITY AS u({columns}, "ordinality_") ORDER BY "ordinality_"')
    if on_conflict:
        statement += f' ON CONFLICT ({", ".join(on_conflict)}) DO NOTHING'
    if not returning:
        connection.execute(sa.text(statement), params)
        return []
    statement += " RETURNING " + ", ".join(f'"{name}"' for name in returning)
    text = sa.text(statement).columns(*(table.c[name] for name in returning))
    return sorted(connection.execute(text, params).all(), key=lambda row: row[0])
