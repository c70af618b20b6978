"""Rooms' catalogues are merged at run time, so a message that two rooms
share must have one English text. This sets every shared message to the
text of the first room that has it, in core.ROOMS order (core first), and
fills a room's untranslated message from another room that has it:
`.venv/bin/python tools/unify_translations.py` (tests/test_i18n.py checks)."""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from window import ROOMS  # noqa: E402


def catalogue_path(room: str) -> Path:
    return ROOT / room / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def main() -> None:
    canonical: dict[str, str] = {}
    catalogues = {}
    for room in ROOMS:
        path = catalogue_path(room)
        if not path.exists():
            continue
        with path.open("rb") as handle:
            catalogues[room] = read_po(handle)
        for message in catalogues[room]:
            if isinstance(message.id, str) and message.id and message.string:
                canonical.setdefault(message.id, message.string)
    for room, catalogue in catalogues.items():
        changed = 0
        for message in catalogue:
            if isinstance(message.id, str) and message.id in canonical and message.string != canonical[message.id]:
                message.string = canonical[message.id]
                changed += 1
        if changed:
            with catalogue_path(room).open("wb") as handle:
                write_po(handle, catalogue, width=0)
            print(f"{room}: {changed} messages now match the earlier room")


if __name__ == "__main__":
    main()
