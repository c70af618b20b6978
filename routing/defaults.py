"""The shipped Kawasaki configuration as RulesetData, straight from the data
files (no database): used by tests of the pure engine and by the bench."""

from __future__ import annotations

import yaml

from core.config import PROJECT_ROOT
from routing.facts import RuleData, RulesetData, ThemeInfo
from routing.text import DATA_DIR, Entry, Matcher


def _yaml(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def file_ruleset(version: int | None = 1) -> RulesetData:
    from routing.seed import default_ruleset_spec, parse_phrase

    themes = {row["code"]: ThemeInfo(row["code"], row.get("owner"), bool(row["ward_level"]), position)
              for position, row in enumerate(_yaml(PROJECT_ROOT / "core" / "data" / "themes.yaml"))}
    wards = frozenset(row["code"] for row in _yaml(PROJECT_ROOT / "core" / "data" / "departments.yaml")
                      if row["kind"] == "ward")
    entries = []
    for code, phrases in _yaml(DATA_DIR / "keywords.yaml").items():
        for item in phrases:
            phrase, weight = parse_phrase(item)
            entries.append(Entry(phrase, theme=code, weight=weight))
    for code, names in _yaml(DATA_DIR / "places.yaml").items():
        entries += [Entry(str(name), ward=None if code == "city" else code) for name in names]
    spec = default_ruleset_spec()
    rules = [RuleData(id=i + 1, key=f"default-{i + 1}", name=row["name"], priority=int(row["priority"]),
                      condition=row["condition"], actions=row["actions"], stop=bool(row.get("stop")))
             for i, row in enumerate(spec["rules"])]
    labels = {row["code"]: row["ja"] for name in ("themes.yaml", "departments.yaml")
              for row in _yaml(PROJECT_ROOT / "core" / "data" / name)}
    return RulesetData(version=version, rules=rules, themes=themes, matcher=Matcher(entries), ward_codes=wards,
                       labels=labels)
