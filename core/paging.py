"""Paging of every list. The ?page= number, read one way: a missing, malformed
or absurd number gives a sensible page, never a 500 (a huge number would
overflow the database's OFFSET). And keyset pagination (Keyset, keyset_page)
for the long lists (the catalogue, the triage queue): a page starts after a row's
key instead of skipping OFFSET rows, so a deep page costs what the first does."""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

MAX_PAGE = 10_000


def page_number(raw: object) -> int:
    try:
        number = int(str(raw).strip())
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def requested_page() -> int:
    from flask import request

    return page_number(request.args.get("page", "1"))


# --- keyset ("seek") pagination ------------------------------------------------------------------------------
# A deep OFFSET makes the database walk and throw away every row before the page (55 ms at page 1,500 of the
# catalogue at 100,000 proposals); a page that starts "after this row" seeks straight to it in the index.
# The pager's links carry an opaque cursor: the sort's name, the direction and the key of the row to start from.

MAX_INT = 2**31 - 1  # an INTEGER column: a larger number would be a database error, not a page
MAX_TEXT = 64


@dataclass(frozen=True)
class Key:
    """One column of an order. `nullable` only for a column that can be NULL in the rows listed: its NULLs
    come last in both directions and the comparisons say so (an order without NULLS keeps PostgreSQL's
    index usable, so it is left out when the column cannot be NULL)."""

    column: Any
    descending: bool = False
    nullable: bool = False
    kind: str = "int"

    def order(self, reverse: bool):
        descending = self.descending != reverse
        clause = self.column.desc() if descending else self.column.asc()
        if self.nullable:
            clause = clause.nulls_first() if reverse else clause.nulls_last()
        return clause

    def beyond(self, value, reverse: bool):
        """Rows strictly past `value` in this column's order (reversed: strictly before it)."""
        descending = self.descending != reverse
        if value is None:  # NULLs come last: nothing is past them, everything else is before them
            return self.column.is_not(None) if reverse else sa.false()
        past = self.column < value if descending else self.column > value
        return sa.or_(past, self.column.is_(None)) if self.nullable and not reverse else past

    def same(self, value):
        return self.column.is_(None) if value is None else self.column == value

    def reaches(self, value, reverse: bool):
        """A looser bound on the leading column alone, which an index can seek to (the OR of `beyond` cannot)."""
        descending = self.descending != reverse
        return self.column <= value if descending else self.column >= value


@dataclass(frozen=True)
class Keyset:
    """An order that ends with a unique column (the id), so a row's key names one place in the list."""

    name: str
    keys: tuple[Key, ...]

    def order_by(self, reverse: bool = False) -> list:
        return [key.order(reverse) for key in self.keys]

    def beyond(self, values: list, reverse: bool = False):
        """Rows after the row whose key is `values` (reversed: before it): (a, b) > (x, y) spelt out as
        a > x OR (a = x AND b > y), with NULLs placed by Key.beyond."""
        branches = []
        for index, key in enumerate(self.keys):
            equal = [k.same(v) for k, v in zip(self.keys[:index], values[:index], strict=True)]
            branches.append(sa.and_(*equal, key.beyond(values[index], reverse)))
        clause = sa.or_(*branches)
        lead = self.keys[0]
        if not lead.nullable:
            clause = sa.and_(lead.reaches(values[0], reverse), clause)
        return clause

    def values_of(self, row) -> list:
        return [getattr(row, key.column.key) for key in self.keys]

    # The cursor: URL-safe base64 of JSON, opaque to the reader; anything that does not decode to this
    # order's key gives None (the first page), never an error.

    def encode(self, row, direction: str, page: int) -> str:
        values = [v.isoformat() if isinstance(v, datetime) else v for v in self.values_of(row)]
        raw = json.dumps({"s": self.name, "d": direction, "p": page, "k": values}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode(self, cursor: str | None) -> Cursor | None:
        if not cursor or len(cursor) > 1000:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (ValueError, UnicodeDecodeError):  # binascii.Error and JSONDecodeError are ValueErrors
            return None
        if not isinstance(data, dict) or data.get("s") != self.name or data.get("d") not in ("after", "before"):
            return None
        values = data.get("k")
        if not isinstance(values, list) or len(values) != len(self.keys):
            return None
        parsed = [_key_value(key, value) for key, value in zip(self.keys, values, strict=True)]
        if any(value is _INVALID for value in parsed):
            return None
        page = data.get("p")
        page = page if isinstance(page, int) and not isinstance(page, bool) and 1 <= page <= MAX_PAGE * 100 else 1
        return Cursor(data["d"] == "before", parsed, page)


_INVALID = object()


def _key_value(key: Key, value):
    """The value of a key column read from a cursor, or _INVALID if it is not one of the column's."""
    if value is None:
        return None if key.nullable else _INVALID
    if key.kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and -MAX_INT <= value <= MAX_INT
        return value if ok else _INVALID
    if key.kind == "str":
        return value if isinstance(value, str) and len(value) <= MAX_TEXT and "\x00" not in value else _INVALID
    if key.kind == "datetime" and isinstance(value, str) and len(value) <= MAX_TEXT:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return _INVALID
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return _INVALID


@dataclass(frozen=True)
class Cursor:
    backward: bool
    values: list
    page: int


@dataclass
class KeysetPage:
    """One page and the cursors of its neighbours (None where there is none)."""

    items: list
    total: int
    page: int
    per_page: int
    prev_cursor: str | None
    next_cursor: str | None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def shown_total(self) -> int:  # as search.pages.RankedPage's
        return self.total

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def keyset_page(query, order: Keyset, *, cursor: str | None, page: int, per_page: int, total: int,
                session) -> KeysetPage:
    """One page of `query` (not yet ordered) in `order`: after or before the cursor's row; without a cursor,
    page `page` by OFFSET, so old ?page=N links keep working. The links the page offers are cursors."""
    found = order.decode(cursor)
    if found is not None:
        seen = _seek(query, order, found, per_page, total, session)
        if seen is not None:
            return seen
    page = min(page, MAX_PAGE)
    statement = query.order_by(*order.order_by()).limit(per_page + 1).offset((page - 1) * per_page)
    rows = list(session.scalars(statement))
    return _page_of(order, rows[:per_page], total, page, per_page,
                    has_prev=page > 1, has_next=len(rows) > per_page)


def _seek(query, order: Keyset, found: Cursor, per_page: int, total: int, session) -> KeysetPage | None:
    statement = (query.where(order.beyond(found.values, reverse=found.backward))
                 .order_by(*order.order_by(reverse=found.backward)).limit(per_page + 1))
    rows = list(session.scalars(statement))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not rows:
        return None  # past either end (a changed list, or an edited cursor): the first page instead
    if found.backward:
        rows.reverse()  # read backwards from the cursor's row; shown in the order's own direction
        return _page_of(order, rows, total, found.page, per_page, has_prev=more, has_next=True)
    return _page_of(order, rows, total, found.page, per_page, has_prev=True, has_next=more)


def _page_of(order, rows, total, page, per_page, *, has_prev: bool, has_next: bool) -> KeysetPage:
    # The page number is carried by the cursor for the "n / m" label only (rows added or removed meanwhile
    # can shift it by one): it is pinned at both ends.
    last = max(1, math.ceil(total / per_page))
    page = 1 if not has_prev else max(2, last if not has_next else min(page, last))
    prev_cursor = order.encode(rows[0], "before", page - 1) if has_prev and rows else None
    next_cursor = order.encode(rows[-1], "after", page + 1) if has_next and rows else None
    return KeysetPage(rows, total, page, per_page, prev_cursor, next_cursor)
