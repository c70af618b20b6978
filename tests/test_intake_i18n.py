"""Catalogues are merged at run time, so a message shared with the
foundation's catalogues must have the same English there, or one room's
wording silently wins. (Rooms later in core.ROOMS override earlier ones; the
intake catalogue was aligned with routing, responses and public when they
were merged, see the report.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def _catalogue(room: str) -> dict[str, str]:
    path = ROOT / room / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and isinstance(m.id, str) and m.string}


@pytest.mark.parametrize("other", ["core", "proposals"])
def test_messages_shared_with_other_rooms_have_the_same_english(other):
    mine, theirs = _catalogue("intake"), _catalogue(other)
    different = {key: (mine[key], theirs[key]) for key in mine.keys() & theirs.keys() if mine[key] != theirs[key]}
    assert not different, different
