"""Reading a proposal's text for routing: dictionary matching on tokens.

The text layer (`text/`, SudachiPy) cuts the text into tokens and gives each
its normalised form (子供 / 子ども / こども → 子供, ごみひろい → ごみ拾い,
歩いて → 歩く). A dictionary phrase is tokenised the same way and matches
only a run of whole tokens with the same normalised forms, so a word is never
found inside another word: ママ is not in そのまま, バス not in 延ばす, 海 not
in 海外, 橋 not in 高橋, "it" not in "community".

Matching is leftmost-longest over tokens: at each token the longest phrase
wins and consumes its tokens, so 川崎市 (a name of the whole city) is never
read as 川崎区, and 宮前区 is counted once.

Negation: a phrase inside the scope of 〜ではない / 〜ではありません /
〜以外 / 〜を除く / 〜対象外 is kept as a hit marked `negated`, and gives no
support (高齢者向けではありません says nothing for elderly welfare).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from text import Columns, cached_columns, tokens

DATA_DIR = Path(__file__).resolve().parent / "data"


def normalise(value: str) -> str:
    """Normalised forms of the tokens, joined by spaces (for display and comparisons)."""
    return " ".join(key_of(value))


def key_of(phrase: str) -> tuple[str, ...]:
    """A phrase as the tuple of its tokens' normalised forms (punctuation dropped)."""
    return tuple(t.normalised for t in tokens(phrase) if t.pos != "補助記号")


@dataclass(frozen=True)
class Entry:
    phrase: str  # as the administrator wrote it (shown as supporting word)
    theme: str | None = None
    ward: str | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Hit:
    field: str  # which text field (title, summary …)
    start: int  # character offsets into clean(field text)
    end: int
    surface: str  # the words as written in the text
    key: tuple[str, ...]
    entries: tuple[Entry, ...]
    negated: bool = False


# --- negation -----------------------------------------------------------------------------------

_NEGATED_COPULA_ENDS = ("無い", "ない", "ず")  # ではない / ではありません (ある + ます + ず)


def _negation_starts(keys: list[str], pos: list[str]) -> list[tuple[int, int]]:
    """(marker start, marker end) token indexes of 〜ではない, 〜ではありません,
    〜じゃない, 〜以外, 〜を除く, 〜対象外."""
    found = []
    n = len(keys)
    for i, key in enumerate(keys):
        if key not in _MARKER_KEYS:
            continue
        following = keys[i + 1] if i + 1 < n else None
        if key == "で" and following == "は":
            for j in range(i + 2, min(n, i + 6)):
                if keys[j] in _NEGATED_COPULA_ENDS:
                    found.append((i, j + 1))
                    break
                if pos[j] not in ("動詞", "助動詞", "形容詞"):
                    break
        elif key == "じゃ" and following in ("無い", "ない"):
            found.append((i, i + 2))
        elif key == "以外":
            found.append((i, i + 1))
        elif key == "を" and following == "除く":
            found.append((i, i + 2))
        elif key == "対象" and following == "外":
            found.append((i, i + 2))
    return found


# Particles that join the words of one noun phrase (高齢者と障害者以外, 高齢者の方は対象外).
_PHRASE_PARTICLES = frozenset({"の", "と", "や"})


def negated_tokens(keys: list[str], pos: list[str]) -> set[int]:
    """Indexes of the tokens a negation covers: the noun phrase right before
    the marker (one topic particle は / が may stand between: 高齢者は対象外),
    back to punctuation or any other particle."""
    covered: set[int] = set()
    for start, _end in _negation_starts(keys, pos):
        i = start - 1
        if i >= 0 and keys[i] in ("は", "が") and keys[start] == "対象":
            i -= 1
        while i >= 0:
            if pos[i] == "補助記号" or (pos[i] == "助詞" and keys[i] not in _PHRASE_PARTICLES):
                break
            if pos[i] in ("動詞", "助動詞"):
                break
            covered.add(i)
            i -= 1
    return covered


# --- matching -----------------------------------------------------------------------------------

class Matcher:
    """Leftmost-longest dictionary matching over token keys."""

    def __init__(self, entries: list[Entry]):
        self._by_key: dict[tuple[str, ...], list[Entry]] = {}
        for entry in entries:
            key = key_of(entry.phrase)
            if key:
                self._add(key, entry)
        self._lengths_by_first: dict[str, list[int]] = {}
        for key in self._by_key:
            self._lengths_by_first.setdefault(key[0], []).append(len(key))
        for first, lengths in self._lengths_by_first.items():
            self._lengths_by_first[first] = sorted(set(lengths), reverse=True)

    def _add(self, key: tuple[str, ...], entry: Entry) -> None:
        """Two spellings of one word for one theme (車いす, 車椅子) are one entry, of
        the larger weight: a word found once counts once."""
        found = self._by_key.setdefault(key, [])
        for i, other in enumerate(found):
            if (other.theme, other.ward) == (entry.theme, entry.ward):
                if entry.weight > other.weight:
                    found[i] = entry
                return
        found.append(entry)

    def __len__(self) -> int:
        return len(self._by_key)

    def scan(self, field: str, value: str | None) -> tuple[list[Hit], Columns]:
        """Every dictionary hit in one text field, in text order, with the analysis read
        (from the text layer's cache of recent texts: tokenised once per text)."""
        cols = cached_columns(value)
        return self.scan_columns(field, cols), cols

    def scan_columns(self, field: str, cols: Columns) -> list[Hit]:
        keys, text = cols.keys, cols.text
        negated = negated_tokens(keys, cols.pos) if not _MARKER_KEYS.isdisjoint(keys) else set()
        hits: list[Hit] = []
        by_key, lengths_by_first = self._by_key, self._lengths_by_first
        i, n = 0, len(keys)
        while i < n:
            lengths = lengths_by_first.get(keys[i])
            matched = 0
            if lengths:
                for length in lengths:
                    if i + length <= n:
                        key = tuple(keys[i:i + length])
                        entries = by_key.get(key)
                        if entries:
                            start, end = cols.starts[i], cols.ends[i + length - 1]
                            hits.append(Hit(field, start, end, text[start:end], key, tuple(entries),
                                            negated=any(j in negated for j in range(i, i + length))))
                            matched = length
                            break
            i += matched or 1
        return hits

    def find(self, value: str) -> list[tuple[str, list[Entry]]]:
        """(matched phrase as written in the text, entries) for every match not negated, in text order."""
        hits, _ = self.scan("text", value)
        return [(h.surface, list(h.entries)) for h in hits if not h.negated]


_MARKER_KEYS = frozenset({"で", "じゃ", "以外", "を", "対象"})


def contains_phrase(toks_keys: list[str], phrase: str) -> bool:
    """Whether the phrase occurs as whole tokens in a token key list."""
    key = key_of(phrase)
    if not key:
        return False
    n = len(key)
    return any(tuple(toks_keys[i:i + n]) == key for i in range(len(toks_keys) - n + 1))
