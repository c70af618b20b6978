"""Search and similar proposals over the index.

The database finds the candidates (GIN over tsvector on PostgreSQL, FTS5 on
SQLite, each ordered by its own rank: ts_rank / bm25); the application then
scores the best RESCORE of them the same way on both databases, so a result
list no longer than that is in the same order on either (the tests rely on
it). Matching: every word of the query (normalised: 子ども finds 子供 and こども),
or, for words the dictionary splits otherwise and one-character queries, every
character bigram (or the one character) of it.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import TSQUERY

from core.extensions import db
from proposals.audiences import published
from proposals.models import Proposal
from proposals.visibility import versions_naming
from search.documents import DECLARED_FIELD, PUBLIC_FIELDS, Analysed
from search.index import _quote, features_of_row
from search.models import FTS_TABLE, SearchDocument, SearchTerm
from search.similarity import TOP, Features, Match, Statistics, idf, rank
from text import char_ngrams, clean, index_terms

CANDIDATES = 1000  # matches read from the index, best first by the database's rank
RANKED = 2000  # matches ranked (PostgreSQL: _postgres_candidates) and counted at most: 「2,000件以上」 beyond
RESCORE = 200  # of which the application orders this many
SIMILAR_CANDIDATES = 80  # scored exactly in Python (search.similarity), ~1 ms each
SIMILAR_POOL = 1000  # PostgreSQL: matches ts_rank orders to pick them
PAIR_WORDS = 6
QUERY_WORDS = 12  # the proposal's strongest words that find candidates for similar
MAX_QUERY = 100


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[str, ...]
    grams: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str | None) -> "Query | None":
        text = "".join(c for c in clean(raw) if c.isprintable())[:MAX_QUERY].strip()
        if not text:
            return None
        terms = tuple(dict.fromkeys(index_terms(text)))
        letters = "".join(c for c in text if c.isalnum())
        grams = tuple(dict.fromkeys(char_ngrams(text))) if len(letters) > 1 else tuple(letters)
        return cls(text, terms, grams)  # without words or letters (only "%"), it finds nothing


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _tsquery(lexemes, joiner: str) -> str:
    """Without weights: the GIN index then answers the match alone, without rechecking rows."""
    return joiner.join(_quote(x) for x in lexemes)


def _fts_phrase(lexeme: str) -> str:
    return '"' + lexeme.replace('"', '""') + '"'


def _fts_match(query: Query, public: bool) -> str:
    term_columns = "{public_terms}" if public else "{public_terms staff_terms}"
    gram_columns = "{public_grams}" if public else "{public_grams staff_grams}"
    parts = []
    if query.terms:
        parts.append(f"{term_columns} : (" + " AND ".join(_fts_phrase(t) for t in query.terms) + ")")
    if query.grams:
        parts.append(f"{gram_columns} : (" + " AND ".join(_fts_phrase(g) for g in query.grams) + ")")
    return " OR ".join(parts)


def _candidates(query: Query, scope, public: bool, limit: int):
    """(proposal ids best first by the database's rank, the number of matches: at most RANKED)."""
    if not query.terms and not query.grams:
        return [], 0
    if _postgres():
        return _postgres_candidates(query, scope, public, limit)
    fts = sa.table(FTS_TABLE, sa.column("rowid"))
    base = sa.select(fts.c.rowid).where(sa.text(f"{FTS_TABLE} MATCH :match").bindparams(
        match=_fts_match(query, public)), fts.c.rowid.in_(scope))
    ids = list(db.session.scalars(base.order_by(sa.text(f"bm25({FTS_TABLE})"), fts.c.rowid).limit(limit)))
    total = len(ids) if len(ids) < limit else db.session.scalar(
        sa.select(sa.func.count()).select_from(base.limit(RANKED).subquery()))
    return ids, total


def _postgres_candidates(query: Query, scope, public: bool, limit: int):
    """The matches the GIN indexes find, joined to `scope`; the first RANKED of them ranked by ts_rank
    (ts_rank reads each match's whole tsvector: over the ~25,000 matches of a one-character query at
    100,000 proposals that alone took longer than the page may; beyond, the pages say 「RANKED件以上」).

    The matches come first, from the index alone (a MATERIALIZED CTE): no weights in the query (a public
    search reads the public columns, which carry none), so no row is rechecked, and the heap holds
    little more than the ids (the vectors live in TOAST). Joined the other way round, the planner
    drove a department's scope into search_documents row by row, reading each row's vectors (0.3 s
    at 100,000 proposals; bench/search_speed.py)."""
    terms_column = SearchDocument.public_terms_vector if public else SearchDocument.terms_vector
    grams_column = SearchDocument.public_grams_vector if public else SearchDocument.grams_vector
    terms = sa.cast(_tsquery(query.terms, " & "), TSQUERY) if query.terms else None
    grams = sa.cast(_tsquery(query.grams, " & "), TSQUERY) if query.grams else None
    conditions = [c for c in (terms_column.op("@@")(terms) if terms is not None else None,
                              grams_column.op("@@")(grams) if grams is not None else None)
                  if c is not None]
    matches = sa.select(SearchDocument.proposal_id).where(sa.or_(*conditions)).cte("matches")
    matches = matches.prefix_with("MATERIALIZED")
    pool = (sa.select(matches.c.proposal_id).where(matches.c.proposal_id.in_(scope))
            .limit(RANKED).subquery())
    rank_expr = sa.func.ts_rank(terms_column, terms) if terms is not None else sa.literal(0)
    ranked = (sa.select(pool.c.proposal_id, sa.func.count().over())
              .join(SearchDocument, SearchDocument.proposal_id == pool.c.proposal_id)
              .order_by(rank_expr.desc(), pool.c.proposal_id))
    with index_scans_only():
        rows = db.session.execute(ranked.limit(limit)).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


@contextmanager
def index_scans_only():
    """The planner cannot see that testing a row's tsvectors costs far more than an index lookup: it
    would scan search_documents whole (1.4 s for a two-character query at 100,000 proposals) where
    the GIN bitmap reads only the matches. Index lookups are also costed as what they are here, reads
    from memory or SSD (random_page_cost 1.1, the value usually advised for SSD): at the default 4 the
    planner read all 100,000 proposals to check a department's 5,000 (60 ms) rather than look them up.
    Inside a savepoint, so the settings end with it."""
    with db.session.begin_nested() as savepoint:
        db.session.execute(sa.text("SELECT set_config('enable_seqscan', 'off', true), "
                                   "set_config('random_page_cost', '1.1', true)"))
        yield
        savepoint.rollback()


def statistics() -> Statistics:
    """Document frequencies from search_terms (cached SEARCH_STATS_SECONDS per process, 0 in tests)."""
    seconds = current_app.config.get("SEARCH_STATS_SECONDS", 0 if current_app.testing else 300)
    cache = current_app.extensions.setdefault("search_statistics", {})
    now = time.monotonic()
    if seconds and cache.get("until", 0) > now:
        return cache["value"]
    words, grams = {}, {}
    for kind, term, df in db.session.execute(sa.select(SearchTerm.kind, SearchTerm.term, SearchTerm.df)):
        (words if kind == "w" else grams)[term] = df
    n = db.session.scalar(sa.select(sa.func.count()).select_from(SearchDocument)) or 0
    value = Statistics(max(n, 1), words, grams)
    cache.update(until=now + seconds, value=value)
    return value


def _score(query: Query, row, stats: Statistics) -> float:
    """Each query word, weighted by its rarity, counts more in the title than
    in the text; a bigram match of the title or summary adds a little."""
    title, body = row.title_terms.split(), row.body_terms.split()
    others = set(row.organisation_terms.split()) | set(row.staff_terms.split())
    score = 0.0
    for term in query.terms:
        weight = idf(stats.words.get(term, 0), stats.n)
        score += weight * (2.0 * (term in title) + math.log1p(body.count(term)) + 0.5 * (term in others))
    if query.grams:
        grams = set(row.name_grams.split())
        score += 0.5 * sum(g in grams for g in query.grams) / len(query.grams)
    return score


@dataclass
class Results:
    ids: list[int]  # best first
    total: int
    query: Query


def search(raw: str | None, scope, *, public: bool) -> Results | None:
    """Proposals among `scope` (a SELECT of proposal ids: visibility and the
    page's filters) that match `raw`, best first; None for an empty query."""
    query = Query.parse(raw)
    if query is None:
        return None
    ids, total = _candidates(query, scope, public, CANDIDATES)
    head = ids[:RESCORE]
    if head:
        stats = statistics()
        rows = {r.proposal_id: r for r in db.session.execute(sa.select(
            SearchDocument.proposal_id, SearchDocument.title_terms, SearchDocument.body_terms,
            SearchDocument.organisation_terms, SearchDocument.staff_terms, SearchDocument.name_grams)
            .where(SearchDocument.proposal_id.in_(head)))}
        head = sorted((i for i in head if i in rows), key=lambda i: (-_score(query, rows[i], stats), i))
    return Results(head + ids[RESCORE:], total, query)


# --- similar proposals ------------------------------------------------------------------------

def _stored_features(ids) -> dict[int, Features]:
    rows = db.session.execute(sa.select(
        SearchDocument.proposal_id, SearchDocument.title_terms, SearchDocument.body_terms,
        SearchDocument.name_grams, SearchDocument.themes).where(SearchDocument.proposal_id.in_(ids))).all()
    return {row.proposal_id: features_of_row(row) for row in rows}


def _similar_candidates(words: list[str], scope) -> list[int]:
    """Candidates by their words wherever indexed: the staff columns hold the fields a proposal's consent
    did not name (search.documents.withheld); `scope` decides who may be found."""
    if not words:
        return []
    if _postgres():
        return _postgres_similar_candidates(words, scope)
    fts = sa.table(FTS_TABLE, sa.column("rowid"))
    match = "{public_terms staff_terms} : (" + " OR ".join(_fts_phrase(w) for w in words) + ")"
    query = (sa.select(fts.c.rowid).where(sa.text(f"{FTS_TABLE} MATCH :match").bindparams(match=match),
                                          fts.c.rowid.in_(scope) if scope is not None else sa.true())
             .order_by(sa.text(f"bm25({FTS_TABLE})"), fts.c.rowid))
    return list(db.session.scalars(query.limit(SIMILAR_CANDIDATES)))


def _postgres_similar_candidates(words: list[str], scope) -> list[int]:
    """Proposals sharing two of the six strongest words (any of the words when too few do), the first
    SIMILAR_POOL the GIN index finds, ranked by ts_rank over all the words. OR-ing the twelve words
    matched most of 100,000 proposals and ranking them all took 0.5-0.8 s (bench/search_speed.py).
    No weights in the match, so the GIN index answers it without reading the rows."""
    strongest = [_quote(w) for w in words[:PAIR_WORDS]]
    pairs = " | ".join(f"{a} & {b}" for a, b in combinations(strongest, 2)) or strongest[0]
    every = sa.cast(_tsquery(words, " | "), TSQUERY)
    found: list[int] = []
    for tsquery in (pairs, _tsquery(words, " | ")):
        matches = (sa.select(SearchDocument.proposal_id)
                   .where(SearchDocument.terms_vector.op("@@")(sa.cast(tsquery, TSQUERY)))
                   .cte("matches").prefix_with("MATERIALIZED"))  # as in _postgres_candidates
        pool = (sa.select(matches.c.proposal_id)
                .where(matches.c.proposal_id.in_(scope) if scope is not None else sa.true(),
                       matches.c.proposal_id.not_in(found or [0]))
                .limit(SIMILAR_POOL).subquery())
        ranked = (sa.select(pool.c.proposal_id)
                  .join(SearchDocument, SearchDocument.proposal_id == pool.c.proposal_id)
                  .order_by(sa.func.ts_rank(SearchDocument.terms_vector, every).desc(), pool.c.proposal_id)
                  .limit(SIMILAR_CANDIDATES - len(found)))
        with index_scans_only():
            found += db.session.scalars(ranked).all()
        if len(found) >= SIMILAR_CANDIDATES // 2:
            break
    return found


def similar(analysed: Analysed, scope, *, exclude: int | None = None, k: int = TOP) -> list[Match]:
    """The k proposals of `scope` most like `analysed` (Match.key = proposal id); scope None: every
    indexed proposal (every submitted one), with no join to proposals."""
    stats = statistics()
    vectors = stats.vectors(Features.of(analysed))
    strongest = [w for w, _ in sorted(vectors.words.items(), key=lambda item: (-item[1], item[0]))
                 if not w.startswith("~")][:QUERY_WORDS]
    if exclude is not None and scope is not None:
        scope = scope.where(Proposal.id != exclude)
    ids = [i for i in _similar_candidates(strongest, scope) if i != exclude]
    candidates = _stored_features(ids)
    return rank(vectors, ((i, stats.vectors(candidates[i])) for i in ids if i in candidates), k)


def stored_analysis(proposal_id: int) -> Analysed | None:
    row = db.session.get(SearchDocument, proposal_id)
    if row is None:
        return None
    return Analysed(title_terms=row.title_terms.split(), body_terms=row.body_terms.split(),
                    name_grams=row.name_grams.split(), themes=row.themes.split())


def published_scope():
    """Published proposals whose consent named every field similar proposals compare, so that the
    words shown as shared are all public (a proposal under an older, narrower consent is left out).
    One IN of the versions naming them all: six INs, each counted as independent by the planner,
    made it expect one row and loop over every published proposal (bench/search_speed.py)."""
    versions = set.intersection(*(set(versions_naming(DECLARED_FIELD[name])) for name in PUBLIC_FIELDS))
    return sa.select(Proposal.id).where(published(), Proposal.consent_version.in_(sorted(versions)))
