"""Append English for new messages to a room's catalogue without rewriting it
(an append keeps parallel edits of the same .po mergeable): the messages of
`pybabel extract` for the room that the catalogue lacks, with the English from
a JSON file of {japanese: english}; a message another room already translates
takes that room's English (tests/test_i18n.py wants one English per message).
`.venv/bin/python tools/append_translations.py ROOM english.json`"""

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("core", "proposals", "intake", "routing", "responses", "public", "api", "window")


def catalogue(room: str):
    path = ROOT / room / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return path, read_po(handle)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main(room: str, english_file: str) -> None:
    english = json.loads(Path(english_file).read_text(encoding="utf-8"))
    subprocess.run(["make", "-s", "extract-messages", f"ROOM={room}"], cwd=ROOT, check=False, capture_output=True)
    subprocess.run(["git", "checkout", "--", f"{room}/translations"], cwd=ROOT, check=True)  # keep the file as it was
    with open(f"/tmp/{room}.pot", "rb") as handle:
        wanted = [m.id for m in read_po(handle) if m.id and isinstance(m.id, str)]
    path, own = catalogue(room)
    shared = {}
    for other in ROOMS:
        if other != room and (ROOT / other / "translations").exists():
            for message in catalogue(other)[1]:
                if message.id and message.string and message.id not in shared:
                    shared[message.id] = message.string
    missing, lines = [], []
    for msgid in wanted:
        if msgid in own and own[msgid].string:
            continue
        text = shared.get(msgid) or english.get(msgid)
        if not text:
            missing.append(msgid)
            continue
        lines.append(f"\nmsgid {_quote(msgid)}\nmsgstr {_quote(text)}\n")
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(lines)
    print(f"{room}: {len(lines)} appended; no English for: {missing}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
