"""Fill a room's English catalogue from a JSON file {"日本語": "English", …}:
`.venv/bin/python tools/fill_translations.py ROOM translations.json`.
Existing translations are kept unless the JSON gives a new one."""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main(room: str, mapping_file: str) -> None:
    mapping = json.loads(Path(mapping_file).read_text(encoding="utf-8"))
    po_path = Path(room) / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalogue = read_po(handle)
    missing = []
    for message in catalogue:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if not key:
            continue
        if key in mapping:
            message.string = mapping[key]
            message.flags.discard("fuzzy")
        elif not message.string:
            missing.append(key)
    with po_path.open("wb") as handle:
        write_po(handle, catalogue, width=0)
    print(f"{room}: {len(missing)} still missing")
    for key in missing:
        print("  ", key)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
