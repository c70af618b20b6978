"""`flask routing seed`: the Kawasaki dictionary and the default ruleset.
Idempotent: missing dictionary entries are added (entries an administrator
removed stay removed: they are kept inactive), and the default ruleset is
published as version 1 only when no version exists yet."""

from __future__ import annotations

import sqlalchemy as sa
import yaml

from core.audit import Actor, record_event
from core.columns import utcnow
from core.extensions import db
from core.models import Department, Theme
from routing.conditions import validate_actions, validate_tree
from routing.models import Keyword, Rule, RulesetStatus, RulesetVersion
from routing.text import DATA_DIR


def _load(name: str):
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


def parse_phrase(item) -> tuple[str, float]:
    text = str(item)
    if "*" in text:
        phrase, _, weight = text.rpartition("*")
        try:
            return phrase.strip(), float(weight)
        except ValueError:
            return text.strip(), 1.0
    return text.strip(), 1.0


def seed_keywords() -> int:
    themes = dict(db.session.execute(sa.select(Theme.code, Theme.id)).all())
    departments = dict(db.session.execute(sa.select(Department.code, Department.id)).all())
    existing = set(db.session.execute(sa.select(Keyword.phrase, Keyword.theme_id, Keyword.ward_id)).all())
    added = 0

    def add(phrase, theme_id, ward_id, weight):
        nonlocal added
        if (phrase, theme_id, ward_id) in existing:
            return
        db.session.add(Keyword(phrase=phrase, theme_id=theme_id, ward_id=ward_id, weight=weight))
        existing.add((phrase, theme_id, ward_id))
        added += 1

    for code, phrases in (_load("keywords.yaml") or {}).items():
        if code not in themes:
            continue
        for item in phrases:
            phrase, weight = parse_phrase(item)
            add(phrase, themes[code], None, weight)
    for code, names in (_load("places.yaml") or {}).items():
        ward_id = None if code == "city" else departments.get(code)
        if code != "city" and ward_id is None:
            continue
        for name in names:
            add(str(name), None, ward_id, 1.0)
    db.session.flush()
    return added


def default_ruleset_spec() -> dict:
    spec = _load("default_ruleset.yaml")
    for rule in spec["rules"]:
        validate_tree(rule["condition"])
        validate_actions(rule["actions"])
    return spec


def seed_ruleset() -> int:
    if db.session.scalar(sa.select(sa.func.count()).select_from(RulesetVersion)):
        return 0
    spec = default_ruleset_spec()
    version = RulesetVersion(version=1, status=RulesetStatus.PUBLISHED, note=spec["note"], published_at=utcnow())
    for row in spec["rules"]:
        version.rules.append(Rule(name=row["name"], description=row.get("description", ""),
                                  priority=int(row["priority"]), condition=row["condition"],
                                  actions=row["actions"], stop=bool(row.get("stop"))))
    db.session.add(version)
    db.session.flush()
    record_event(Actor.system("seed"), "ruleset_published", comment=spec["note"], data={"version": 1})
    return 1


def seed_routing() -> dict[str, int]:
    return {"keywords": seed_keywords(), "rulesets": seed_ruleset()}
