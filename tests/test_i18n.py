"""Every user-facing string is translatable and translated: each room's
English catalogue covers every message its code and templates use."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from window import ROOMS

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}
# Templates shared by every room belong to the core catalogue.
CORE_TEMPLATE_DIRS = ["templates/base.html", "templates/macros", "templates/admin", "templates/email", "templates/core"]


def _sources(room: str) -> list[Path]:
    sources = [ROOT / room]
    if (ROOT / "templates" / room).is_dir():
        sources.append(ROOT / "templates" / room)
    if room == "core":
        sources += [ROOT / p for p in CORE_TEMPLATE_DIRS]
    return [s for s in sources if s.exists()]


def _messages(path: Path) -> set[str]:
    if path.is_file():
        from babel.messages.extract import extract_from_file

        method = "jinja2" if path.suffix in (".html", ".txt") else "python"
        found = extract_from_file(method, str(path), keywords=KEYWORDS)
    else:
        found = extract_from_dir(str(path), method_map=METHODS, keywords=KEYWORDS)
    messages = set()
    position = 1 if path.is_file() else 2  # extract_from_dir adds the file name first
    for item in found:
        message = item[position]
        messages.add(message[0] if isinstance(message, (tuple, list)) else message)
    return messages


@pytest.mark.parametrize("room", ROOMS)
def test_every_message_has_an_english_translation(room):
    wanted = set().union(*(_messages(path) for path in _sources(room))) if _sources(room) else set()
    wanted.discard("")
    if not wanted:
        return
    po_path = ROOT / room / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    assert po_path.exists(), f"{room} has user-facing text but no English catalogue: make extract-messages ROOM={room}"
    with po_path.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(wanted - translated)
    assert not missing, f"{room}: {len(missing)} messages without English, e.g. {missing[:5]}"


def test_home_is_japanese_by_default_and_english_on_request(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="ja">' in page and "協働・連携の窓口" in page
    client.get("/lang/en")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Collaboration Window" in page


def test_a_visitors_language_choice_outlives_the_browser_session(client):
    client.get("/lang/en")
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "en" and cookie.expires is not None  # not a session cookie
    client.delete_cookie("session")  # the browser was closed: the session cookie is gone
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    client.get("/lang/ja")
    client.delete_cookie("session")
    assert '<html lang="ja">' in client.get("/").get_data(as_text=True)


def test_language_choice_persists_for_a_signed_in_user(app, client, make_user):
    from core.extensions import db
    from core.models import User

    user = make_user("window", password="pw-123456789")
    client.post("/staff/login", data={"email": user.email, "password": "pw-123456789"})
    client.get("/lang/en")
    assert db.session.get(User, user.id).locale == "en"
    other_browser = app.test_client()
    other_browser.post("/staff/login", data={"email": user.email, "password": "pw-123456789"})
    assert '<html lang="en">' in other_browser.get("/").get_data(as_text=True)


def test_a_message_shared_by_rooms_has_one_english_text():
    """Catalogues are merged at run time: two texts for one message would
    make the English depend on merge order (tools/unify_translations.py)."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for room in ROOMS:
        po_path = ROOT / room / "translations" / "en" / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as handle:
            for message in read_po(handle):
                if not isinstance(message.id, str) or not message.id or not message.string:
                    continue
                first = seen.setdefault(message.id, (room, message.string))
                if first[1] != message.string:
                    clashes.append(f"{message.id!r}: {first[0]}={first[1]!r} {room}={message.string!r}")
    assert not clashes, "run tools/unify_translations.py: " + "; ".join(clashes[:5])
