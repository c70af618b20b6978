"""Similar proposals: a weighted cosine of TF-IDF vectors. Pure: no
database, no Flask (`flask similar rank`, the bench and the pages share it).

Three blocks, each an L2-normalised TF-IDF vector, the score their weighted
sum (so it stays in 0..1):
  - words: the normalised forms of the content words (text.index_terms) of
    the public fields but the organisation's name (who proposes is not what),
    the title's counted TITLE_WEIGHT times: spellings of a word are one
    feature (子ども / 子供 / こども); plus a concept for each word of a
    thesaurus group (search/thesaurus.py: シニア, お年寄り → ~高齢者);
  - grams: character bigrams of the title and summary, the
    fallback for names and new words the dictionary splits badly;
  - themes: the themes the applicant picked.
IDF = ln((N + 1) / (df + 1)) + 1 over the collection the candidates come
from (the index, or the file given to `flask similar rank`).
The weights were chosen on the dev split of tests/data/similar_labelled.jsonl
only (bench/similar_quality.py reports the test split); see docs/search.md.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from search.documents import Analysed
from search.thesaurus import concepts_of

TITLE_WEIGHT = 1.0
WORD_WEIGHT = 0.8
GRAM_WEIGHT = 0.1
THEME_WEIGHT = 0.10
TOP = 5
SHARED_WORDS = 6


@dataclass
class Features:
    """What similarity reads of a proposal (storable as three strings)."""

    words: Counter
    grams: Counter
    themes: frozenset

    @classmethod
    def of(cls, analysed: Analysed) -> "Features":
        words = Counter()
        for terms, weight in ((analysed.title_terms, TITLE_WEIGHT), (analysed.body_terms, 1.0)):
            for term in terms + concepts_of(terms):
                words[term] += weight
        return cls(words, Counter(analysed.name_grams), frozenset(analysed.themes))


def idf(df: int, n: int) -> float:
    return math.log((n + 1) / (df + 1)) + 1.0


def _vector(counts: Mapping[str, float], df: Mapping[str, int], n: int,
            idf_cache: dict[str, float] | None = None) -> dict[str, float]:
    """The L2-normalised TF-IDF vector; `idf_cache` keeps each term's IDF for the collection (a similar
    proposals panel scores ~80 candidates of ~50 words: the logarithms were a fifth of its time)."""
    cache = {} if idf_cache is None else idf_cache
    vector = {}
    for key, count in counts.items():
        if count <= 0:
            continue
        weight = cache.get(key)
        if weight is None:
            weight = cache[key] = idf(df.get(key, 0), n)
        vector[key] = (1.0 + math.log(count)) * weight
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {key: v / norm for key, v in vector.items()}


@dataclass
class Vectors:
    words: dict[str, float]
    grams: dict[str, float]
    themes: frozenset


class Statistics:
    """Document frequencies of words and grams over a collection."""

    def __init__(self, n: int, words: Mapping[str, int], grams: Mapping[str, int]):
        self.n, self.words, self.grams = n, words, grams
        self._word_idf: dict[str, float] = {}
        self._gram_idf: dict[str, float] = {}

    @classmethod
    def of(cls, features: Iterable[Features]) -> "Statistics":
        words, grams, n = Counter(), Counter(), 0
        for f in features:
            n += 1
            words.update(f.words.keys())
            grams.update(f.grams.keys())
        return cls(n, words, grams)

    def vectors(self, f: Features) -> Vectors:
        return Vectors(_vector(f.words, self.words, self.n, self._word_idf),
                       _vector(f.grams, self.grams, self.n, self._gram_idf), f.themes)


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[k] for k, v in a.items() if k in b)


def _theme_overlap(a: frozenset, b: frozenset) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def score(a: Vectors, b: Vectors) -> float:
    return (WORD_WEIGHT * _dot(a.words, b.words) + GRAM_WEIGHT * _dot(a.grams, b.grams)
            + THEME_WEIGHT * _theme_overlap(a.themes, b.themes))


def shared_words(a: Vectors, b: Vectors, limit: int = SHARED_WORDS) -> list[str]:
    """The words that contribute most to the score, most first. A single character (者, 川) counts in the
    score but says little to a reader, so it is not shown."""
    common = [(a.words[k] * b.words[k], k) for k in a.words.keys() & b.words.keys()
              if not k.startswith("~") and len(k) > 1]
    return [k for _, k in sorted(common, key=lambda item: (-item[0], item[1]))[:limit]]


@dataclass
class Match:
    key: object  # the candidate's id
    score: float
    shared: list[str]


def rank(query: Vectors, candidates: Iterable[tuple[object, Vectors]], k: int = TOP) -> list[Match]:
    """The k best candidates, best first (ties by key, so the order is stable)."""
    scored = [(score(query, vectors), key, vectors) for key, vectors in candidates]
    scored = [item for item in scored if item[0] > 0]
    scored.sort(key=lambda item: (-item[0], str(item[1])))
    return [Match(key, round(s, 4), shared_words(query, vectors)) for s, key, vectors in scored[:k]]


def rank_collection(items: list[tuple[object, Features]], k: int = TOP) -> dict[object, list[Match]]:
    """Each item ranked against the others of the same collection only
    (`flask similar rank`, the bench): IDF from the collection."""
    statistics = Statistics.of(f for _, f in items)
    vectors = [(key, statistics.vectors(f)) for key, f in items]
    return {key: rank(v, ((other, w) for other, w in vectors if other != key), k) for key, v in vectors}
