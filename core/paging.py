"""The ?page= number of every paged list, read one way: a missing, malformed
or absurd number gives a sensible page, never a 500 (a huge number would
overflow the database's OFFSET)."""

from __future__ import annotations

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
