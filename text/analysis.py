"""SudachiPy behind a small, cached API (see the package docstring)."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_KATA_TO_HIRA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}
# Sudachi refuses inputs over 49,149 bytes; proposals are far shorter, but
# a pasted document must not raise: it is read in pieces cut at line ends.
_MAX_CHARS = 12000

# Parts of speech that carry meaning (index terms); particles, auxiliaries,
# symbols and blanks do not.
CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞", "代名詞"})
# Normalised forms too common to tell one proposal from another.
STOP_TERMS = frozenset({"する", "為る", "ある", "有る", "いる", "居る", "なる", "成る", "こと", "事", "もの", "物",
                        "よう", "様", "ため", "為", "など", "等", "これ", "それ", "あれ", "的", "さん", "たち"})


class Token:
    """One token. surface and offsets refer to clean(text); the dictionary form
    is read from the analysis only when asked (routing never needs it, and
    reading it for every token cost a quarter of the time)."""

    __slots__ = ("_morpheme", "surface", "normalised", "pos", "pos2", "start", "end")

    def __init__(self, morpheme, surface: str, normalised: str, pos: str, pos2: str, start: int, end: int):
        self._morpheme = morpheme
        self.surface = surface  # as written (after NFKC)
        self.normalised = normalised  # normalised form (子ども → 子供, ひろい → 拾い), Latin lower-cased
        self.pos = pos  # part of speech, first level (名詞, 動詞, 助詞 …)
        self.pos2 = pos2  # second level (固有名詞, 格助詞 …)
        self.start = start
        self.end = end

    @property
    def dictionary(self) -> str:
        """Dictionary form (歩い → 歩く)."""
        return self._morpheme.dictionary_form() if self._morpheme is not None else self.surface

    @property
    def is_content(self) -> bool:
        return self.pos in CONTENT_POS

    def __repr__(self) -> str:
        return f"Token({self.surface!r}, {self.normalised!r}, {self.pos})"


def clean(text: str | None) -> str:
    """NFKC (full-width Latin and digits, half-width kana), Latin lower-cased,
    runs of blanks made one space. Offsets of tokens() refer to this string."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _SPACES.sub(" ", text).strip()


def to_hiragana(text: str) -> str:
    return text.translate(_KATA_TO_HIRA)


_local = threading.local()


def tokenizer():
    """The process's tokenizer (one per thread: Sudachi tokenizers are not
    shared across threads), created on first use."""
    found = getattr(_local, "tokenizer", None)
    if found is None:
        # Only the fields read here: the analysis then copies less for each token.
        found = _local.tokenizer = _dictionary().tokenizer(
            mode=_split_mode(), fields={"pos", "normalized_form", "dictionary_form"})
    return found


@lru_cache(maxsize=1)
def _dictionary():
    from sudachipy import Dictionary

    return Dictionary(dict="core")


def _split_mode():
    from sudachipy import SplitMode

    return SplitMode.A


def _pieces(text: str) -> list[tuple[int, str]]:
    if len(text) <= _MAX_CHARS:
        return [(0, text)]
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + _MAX_CHARS)
        cut = text.rfind("。", start, end) if end < len(text) else -1
        end = cut + 1 if cut > start else end
        pieces.append((start, text[start:end]))
        start = end
    return pieces


class Columns:
    """The analysis of one text as parallel lists (one entry per token, blanks
    left out): the fast form for code that reads many texts (routing reads
    every proposal; building a Token for each of ~400 tokens cost as much as
    the analysis itself)."""

    __slots__ = ("text", "keys", "pos", "pos2", "starts", "ends", "morphemes")

    def __init__(self, text: str):
        self.text = text
        self.keys: list[str] = []
        self.pos: list[str] = []
        self.pos2: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.morphemes: list = []

    def __len__(self) -> int:
        return len(self.keys)

    def token(self, i: int) -> Token:
        start, end = self.starts[i], self.ends[i]
        return Token(self.morphemes[i], self.text[start:end], self.keys[i], self.pos[i], self.pos2[i], start, end)

    def tokens(self) -> list[Token]:
        return [self.token(i) for i in range(len(self.keys))]


def columns(text: str | None, *, cleaned: bool = False) -> Columns:
    """The analysis of clean(text) (or of text as given when cleaned=True) as Columns."""
    text = text if cleaned else clean(text)
    out = Columns(text)
    if not text:
        return out
    analyse = tokenizer().tokenize
    pos_of, folded = _POS, _FOLDED
    keys, pos_1, pos_2, starts, ends, morphemes = out.keys, out.pos, out.pos2, out.starts, out.ends, out.morphemes
    for offset, piece in _pieces(text):
        for m in analyse(piece):
            pos_id = m.part_of_speech_id()
            pos = pos_of.get(pos_id)
            if pos is None:
                pos = pos_of[pos_id] = m.part_of_speech()[:2]
            if pos[0] == "空白":
                continue
            normalised = m.normalized_form()
            key = folded.get(normalised)
            if key is None:
                key = folded[normalised] = _fold(normalised)
            keys.append(key)
            pos_1.append(pos[0])
            pos_2.append(pos[1])
            starts.append(offset + m.begin())
            ends.append(offset + m.end())
            morphemes.append(m)
    return out


# The analyses of the texts read last (routing reads the same proposal again and
# again: the preview, a re-route, the triage desk, the why-here panel). Bounded,
# and keyed on the cleaned text, so spellings that clean() makes equal share one.
CACHED_TEXTS = 256


@lru_cache(maxsize=CACHED_TEXTS)
def _cached_columns(text: str) -> Columns:
    return columns(text, cleaned=True)


def cached_columns(text: str | None) -> Columns:
    """columns(text) from a small cache of recent texts. The Columns returned
    is shared: read it, never change it."""
    return _cached_columns(clean(text))


def clear_cache() -> None:
    """Forget the cached analyses (the bench measures tokenising every time with it)."""
    _cached_columns.cache_clear()


def tokens(text: str | None, *, cleaned: bool = False) -> list[Token]:
    """Tokens of clean(text) (or of text as given when cleaned=True)."""
    return columns(text, cleaned=cleaned).tokens()


_FOLDED: dict[str, str] = {}
_POS: dict[int, tuple[str, str]] = {}  # part-of-speech id → (first, second level)


def _fold(normalised: str) -> str:
    """Sudachi's normalised form, with Latin lower-cased and the few variants
    it keeps apart folded (ゴミ and ごみ are the same word)."""
    normalised = normalised.lower()
    return _VARIANTS.get(normalised, normalised)


# Normalised forms Sudachi keeps apart that mean the same in proposals.
_VARIANTS = {"ゴミ": "ごみ", "塵": "ごみ", "コミュニティー": "コミュニティ", "ボランティヤ": "ボランティア",
             "高令": "高齢", "障碍": "障害", "こそだて": "子育て"}


def normalise(text: str | None) -> str:
    """The text as the normalised forms of its tokens joined by spaces: a
    word's spellings compare equal (子供 / 子ども / こども)."""
    return " ".join(t.normalised for t in tokens(text))


def index_terms(text: str | None) -> list[str]:
    """Normalised forms of the content words, in text order (repeats kept):
    the terms to index a proposal by, for search and similar proposals."""
    return [t.normalised for t in tokens(text) if t.is_content and t.normalised not in STOP_TERMS
            and not t.normalised.isdigit()]


def char_ngrams(text: str | None, n: int = 2) -> list[str]:
    """Character n-grams of clean(text) without blanks and punctuation: a
    fallback for names and new words the dictionary splits badly."""
    letters = "".join(c for c in clean(text) if c.isalnum())
    return [letters[i:i + n] for i in range(max(0, len(letters) - n + 1))]
