"""Reference data: departments and themes. Every step looks before it
writes, so running `flask seed` twice changes nothing. The demo data is the
demo/ package's; `flask seed` (window/seed.py) runs both."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
import yaml

from core.extensions import db
from core.models import Department, DepartmentKind, DepartmentName, Theme

DATA_DIR = Path(__file__).resolve().parent / "data"
REFERENCE_DAY = date(2016, 4, 1)  # the names in the reference data date from the 2016 reorganisation


def load_yaml(name: str) -> list[dict]:
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


def seed_reference() -> dict[str, int]:
    """Insert missing departments and themes; never overwrite an
    administrator's later renames or ownership changes."""
    added = {"departments": 0, "themes": 0}
    existing = {d.code: d for d in db.session.scalars(sa.select(Department))}
    for row in load_yaml("departments.yaml"):
        if row["code"] in existing:
            continue
        department = Department(code=row["code"], kind=DepartmentKind(row["kind"]), name_ja=row["ja"], name_en=row["en"])
        department.names.append(DepartmentName(name_ja=row["ja"], name_en=row["en"], valid_from=REFERENCE_DAY))
        db.session.add(department)
        existing[row["code"]] = department
        added["departments"] += 1
    db.session.flush()
    themes = set(db.session.scalars(sa.select(Theme.code)))
    for position, row in enumerate(load_yaml("themes.yaml")):
        if row["code"] in themes:
            continue
        owner = existing.get(row["owner"]) if row.get("owner") else None
        db.session.add(Theme(code=row["code"], name_ja=row["ja"], name_en=row["en"], owner=owner,
                             ward_level=bool(row["ward_level"]), position=position))
        added["themes"] += 1
    db.session.flush()
    return added


def department(code: str) -> Department:
    return db.session.scalar(sa.select(Department).where(Department.code == code))
