"""The two baselines the routing evaluation reports beside the engine
(bench/routing_eval.py, tests/test_routing_evaluation.py). Not product code.

1. First pick + area: the applicant's first theme and the area fields decide,
   as FixMyStreet routes by category and location (ROUTING_POLICY.md rules
   2–4 applied to the pick; no pick → the window).
2. The previous engine: the substring matcher routing used before issue 10
   (NFKC, katakana → hiragana, a variant table, leftmost-longest over
   characters), kept here verbatim, with the previous ruleset (rule 6 sent
   every proposal without a theme to the window).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

from routing.facts import RulesetData
from routing.text import DATA_DIR, Entry, Hit
from text import Columns

_SPACES = re.compile(r"\s+")
_KATA_TO_HIRA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}


@lru_cache(maxsize=1)
def _variants() -> tuple[tuple[str, str], ...]:
    rows = yaml.safe_load((DATA_DIR / "variants.yaml").read_text(encoding="utf-8")) or {}
    pairs = []
    for canonical, variants in rows.items():
        for variant in variants:
            pairs.append((_basic(variant), _basic(canonical)))
    pairs.sort(key=lambda p: -len(p[0]))
    return tuple(pairs)


def _basic(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower().translate(_KATA_TO_HIRA)
    return _SPACES.sub(" ", text).strip()


def substring_normalise(text: str) -> str:
    text = _basic(text)
    for variant, canonical in _variants():
        if variant in text:
            text = text.replace(variant, canonical)
    return text


class SubstringMatcher:
    """The previous matcher: leftmost-longest over characters (finds ママ in そのまま)."""

    def __init__(self, entries: list[Entry]):
        self._by_key: dict[str, list[Entry]] = {}
        for entry in entries:
            key = substring_normalise(entry.phrase)
            if key:
                self._by_key.setdefault(key, []).append(entry)
        self._lengths: dict[str, list[int]] = {}
        for key in self._by_key:
            self._lengths.setdefault(key[0], []).append(len(key))
        for first, lengths in self._lengths.items():
            self._lengths[first] = sorted(set(lengths), reverse=True)

    def __len__(self) -> int:
        return len(self._by_key)

    def scan(self, field: str, value: str | None):
        text = substring_normalise(value or "")
        hits, i, n = [], 0, len(text)
        while i < n:
            matched = 0
            for length in self._lengths.get(text[i], ()):
                entries = self._by_key.get(text[i:i + length]) if i + length <= n else None
                if entries:
                    hits.append(Hit(field, i, i + length, text[i:i + length], (text[i:i + length],), tuple(entries)))
                    matched = length
                    break
            i += matched or 1
        return hits, Columns(text)  # no analysis: the previous engine read characters


PREVIOUS_KEYWORDS = Path(__file__).resolve().parent / "data" / "routing_previous_keywords.yaml"


def previous_ruleset() -> RulesetData:
    """The Kawasaki configuration as the previous engine read it: its matcher,
    its keyword list (bench/data/routing_previous_keywords.yaml, as shipped
    before issue 10) and its rule 6."""
    from routing.defaults import file_ruleset
    from routing.seed import parse_phrase

    ruleset = file_ruleset()
    entries = []
    for code, phrases in yaml.safe_load(PREVIOUS_KEYWORDS.read_text(encoding="utf-8")).items():
        entries += [Entry(*parse_phrase(item)[:1], theme=code, weight=parse_phrase(item)[1]) for item in phrases]
    for code, names in yaml.safe_load((DATA_DIR / "places.yaml").read_text(encoding="utf-8")).items():
        entries += [Entry(str(name), ward=None if code == "city" else code) for name in names]
    ruleset.matcher = SubstringMatcher(entries)
    ruleset.rules = [r for r in ruleset.rules if r.name not in ("テーマが判定できない1区の提案", "テーマ不明時は学習モデルの提案")]
    ruleset.field_weight = {}  # every field counted alike
    return ruleset


def first_pick(proposal: dict, ruleset: RulesetData) -> dict:
    """Lead and co-departments from the applicant's first pick and the area alone."""
    themes = ruleset.themes
    picks = [t for t in proposal.get("themes") or [] if t in themes and themes[t].owner]
    area = proposal.get("area") or {}
    wards = area.get("wards") or []
    one_ward = wards[0] if len(wards) == 1 and area.get("scope") not in ("multi_ward", "citywide") else None
    if not picks:
        return {"lead": ruleset.window, "co": [], "needs_triage": True}
    info = themes[picks[0]]
    others = [o for o in dict.fromkeys(themes[p].owner for p in picks[1:]) if o != info.owner]
    if one_ward and info.ward_level:
        return {"lead": one_ward, "co": [info.owner], "needs_triage": False}
    if one_ward:
        return {"lead": info.owner, "co": [one_ward], "needs_triage": False}
    return {"lead": info.owner, "co": others, "needs_triage": False}
