"""SudachiPy behind a small, cached API (see the package docstring)."""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Token:
    surface: str  # as written (after NFKC)
    dictionary: str  # dictionary form (歩い → 歩く)
    normalised: str  # normalised form (子ども → 子供, ひろい → 拾い), Latin lower-cased
    pos: str  # part of speech, first level (名詞, 動詞, 助詞 …)
    pos2: str  # second level (固有名詞, 格助詞 …)
    start: int  # offsets into clean(text)
    end: int

    @property
    def is_content(self) -> bool:
        return self.pos in CONTENT_POS


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
        found = _local.tokenizer = _dictionary().tokenizer(mode=_split_mode())
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


def tokens(text: str | None, *, cleaned: bool = False) -> list[Token]:
    """Tokens of clean(text) (or of text as given when cleaned=True)."""
    text = text if cleaned else clean(text)
    if not text:
        return []
    analyse = tokenizer().tokenize
    found: list[Token] = []
    for offset, piece in _pieces(text):
        for m in analyse(piece):
            pos = m.part_of_speech()
            if pos[0] == "空白":
                continue
            found.append(Token(m.surface(), m.dictionary_form(), _fold(m.normalized_form()), pos[0], pos[1],
                               offset + m.begin(), offset + m.end()))
    return found


@lru_cache(maxsize=4096)
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
