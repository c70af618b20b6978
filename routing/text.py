"""Reading Japanese text: normalisation and dictionary matching.

normalise() applies NFKC (full-width to half-width and back for kana),
lower-cases Latin letters, turns katakana into hiragana (so ゴミ and ごみ are
the same word) and folds kanji/kana variants listed in data/variants.yaml
(子供 / 子ども / こども …). The same function is applied to the text and to
the dictionary, so an administrator may write a phrase either way.

Matcher finds dictionary phrases leftmost-longest: at each position the
longest phrase wins and the text it covers is consumed, so 川崎市 (listed as
a place name of the city) is never read as 川崎区 or 川崎, and 宮前区 is
counted once, not also as 宮前.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _variants() -> tuple[tuple[str, str], ...]:
    """(variant, canonical) pairs, longest variant first."""
    rows = yaml.safe_load((DATA_DIR / "variants.yaml").read_text(encoding="utf-8")) or {}
    pairs = []
    for canonical, variants in rows.items():
        canonical_n = _basic(canonical)
        for variant in variants:
            pairs.append((_basic(variant), canonical_n))
    pairs.sort(key=lambda p: -len(p[0]))
    return tuple(pairs)


_KATA_TO_HIRA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}


def _kata_to_hira(text: str) -> str:
    return text.translate(_KATA_TO_HIRA)


def _basic(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _kata_to_hira(text)
    return _SPACES.sub(" ", text).strip()


def normalise(text: str) -> str:
    text = _basic(text)
    for variant, canonical in _variants():
        if variant in text:
            text = text.replace(variant, canonical)
    return text


@dataclass(frozen=True)
class Entry:
    phrase: str  # as the administrator wrote it (shown as supporting word)
    theme: str | None = None
    ward: str | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    entry: Entry


class Matcher:
    """Leftmost-longest dictionary matching over normalised text."""

    def __init__(self, entries: list[Entry]):
        self._by_key: dict[str, list[Entry]] = {}
        for entry in entries:
            key = normalise(entry.phrase)
            if key:
                self._by_key.setdefault(key, []).append(entry)
        self._lengths_by_first: dict[str, list[int]] = {}
        for key in self._by_key:
            self._lengths_by_first.setdefault(key[0], []).append(len(key))
        for first, lengths in self._lengths_by_first.items():
            self._lengths_by_first[first] = sorted(set(lengths), reverse=True)

    def find(self, text: str) -> list[tuple[str, list[Entry]]]:
        """(matched normalised phrase, entries) for every match, in text order."""
        return self.find_normalised(normalise(text))

    def find_normalised(self, text: str) -> list[tuple[str, list[Entry]]]:
        found = []
        by_key, lengths_by_first = self._by_key, self._lengths_by_first
        i, n = 0, len(text)
        while i < n:
            lengths = lengths_by_first.get(text[i])
            matched = 0
            if lengths:
                for length in lengths:
                    if i + length <= n:
                        key = text[i:i + length]
                        entries = by_key.get(key)
                        if entries:
                            found.append((key, entries))
                            matched = length
                            break
            i += matched or 1
        return found
