"""Writing the index: one proposal, a batch, every proposal; and the document
frequencies. Operations take the session to write with (the Celery task
opens its own after the request's commit) and flush; the caller commits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from core.columns import utcnow
from proposals.models import Proposal, State
from search.documents import Analysed, analyse_for_search, analyse_proposal
from search.models import FTS_COLUMNS, FTS_TABLE, SearchDocument, SearchTerm
from search.similarity import Features

BATCH = 500
# tsvector weights by where a term came from (see search.models).
TITLE, BODY, ORGANISATION, STAFF = "A", "B", "C", "D"
_POSITION = {TITLE: 1, BODY: 2, ORGANISATION: 3, STAFF: 4}


def _quote(lexeme: str) -> str:
    """A lexeme as tsvector / tsquery input: quoted, quotes doubled, backslashes escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(weighted: Iterable[tuple[str, Iterable[str]]]) -> str:
    """`'子供':1A,2B '食堂':1A` from (weight, terms) pairs. Weights ride on
    positions (PostgreSQL keeps no weight without one), one per weight."""
    weights: dict[str, set[str]] = {}
    for weight, terms in weighted:
        for term in terms:
            if term:
                weights.setdefault(term, set()).add(weight)
    return " ".join(_quote(term) + ":" + ",".join(f"{_POSITION[w]}{w}" for w in sorted(found))
                    for term, found in sorted(weights.items()))


def _row_values(proposal_id: int, analysed: Analysed) -> dict:
    return {
        "proposal_id": proposal_id,
        "title_terms": " ".join(analysed.title_terms),
        "body_terms": " ".join(analysed.body_terms),
        "organisation_terms": " ".join(analysed.organisation_terms),
        "staff_terms": " ".join(analysed.staff_terms),
        "name_grams": " ".join(analysed.name_grams),
        "themes": " ".join(analysed.themes),
        "updated_at": utcnow(),
    }


def plain_tsvector_literal(terms: Iterable[str]) -> str:
    """`'子供' '食堂'`: the terms without positions or weights (a public search's columns)."""
    return " ".join(_quote(term) for term in sorted(set(terms)) if term)


def _postgres_vectors(analysed: Analysed) -> dict:
    terms = tsvector_literal([(TITLE, analysed.title_terms), (BODY, analysed.body_terms),
                              (ORGANISATION, analysed.organisation_terms), (STAFF, analysed.staff_terms)])
    grams = tsvector_literal([(TITLE, analysed.public_grams), (STAFF, analysed.staff_grams)])
    tsvector = SearchDocument.terms_vector.type
    return {"terms_vector": sa.cast(terms, tsvector), "grams_vector": sa.cast(grams, tsvector),
            "public_terms_vector": sa.cast(plain_tsvector_literal(analysed.public_terms), tsvector),
            "public_grams_vector": sa.cast(plain_tsvector_literal(analysed.public_grams), tsvector)}


def _fts_values(proposal_id: int, analysed: Analysed) -> dict:
    return {"rowid": proposal_id, "public_terms": " ".join(analysed.public_terms),
            "staff_terms": " ".join(analysed.staff_terms), "public_grams": " ".join(analysed.public_grams),
            "staff_grams": " ".join(analysed.staff_grams)}


def _load(session: Session, ids: list[int]) -> list[Proposal]:
    return session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids), Proposal.state != State.DRAFT)
                           .options(selectinload(Proposal.organisation), selectinload(Proposal.theme_links))).all()


def index_proposals(session: Session, ids: Iterable[int]) -> int:
    """(Re)index these proposals; a draft or a missing one leaves the index."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    postgres = session.get_bind().dialect.name == "postgresql"
    session.execute(sa.delete(SearchDocument).where(SearchDocument.proposal_id.in_(ids)))
    if not postgres:
        session.execute(sa.text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({','.join(str(int(i)) for i in ids)})"))
    proposals = _load(session, ids)
    for proposal in proposals:
        values = _row_values(proposal.id, analyse_proposal(proposal))
        searchable = analyse_for_search(proposal)  # a field the consent did not name: staff search only
        if postgres:
            values.update(_postgres_vectors(searchable))
        session.execute(sa.insert(SearchDocument).values(**values))
        if not postgres:
            session.execute(sa.text(f"INSERT INTO {FTS_TABLE} (rowid, {', '.join(FTS_COLUMNS)}) VALUES "
                                    f"(:rowid, {', '.join(':' + c for c in FTS_COLUMNS)})"),
                            _fts_values(proposal.id, searchable))
    session.flush()
    return len(proposals)


def reindex_all(session: Session, *, batch: int = BATCH, echo=None) -> int:
    """Every submitted proposal, in batches of ids; then the frequencies."""
    last_id, done = 0, 0
    while True:
        ids = list(session.scalars(sa.select(Proposal.id).where(Proposal.id > last_id).order_by(Proposal.id)
                                   .limit(batch)))
        if not ids:
            break
        done += index_proposals(session, ids)
        session.commit()
        last_id = ids[-1]
        if echo:
            echo(done)
    refresh_statistics(session)
    session.commit()
    return done


def stale_ids(session: Session, limit: int = 5000) -> list[int]:
    """Submitted proposals changed after they were indexed, or never indexed
    (the safety net when the broker was down as a change was committed)."""
    return list(session.scalars(
        sa.select(Proposal.id).outerjoin(SearchDocument, SearchDocument.proposal_id == Proposal.id)
        .where(Proposal.state != State.DRAFT,
               sa.or_(SearchDocument.proposal_id.is_(None), SearchDocument.updated_at < Proposal.updated_at))
        .order_by(Proposal.id).limit(limit)))


def features_of_row(row) -> Features:
    """Similarity features from a stored row (search_documents)."""
    analysed = Analysed(title_terms=row.title_terms.split(), body_terms=row.body_terms.split(),
                        name_grams=row.name_grams.split(), themes=row.themes.split())
    return Features.of(analysed)


def refresh_statistics(session: Session) -> int:
    """Recount the document frequencies of words and bigrams over the index."""
    words, grams, last_id = Counter(), Counter(), 0
    columns = (SearchDocument.proposal_id, SearchDocument.title_terms, SearchDocument.body_terms,
               SearchDocument.name_grams, SearchDocument.themes)
    while True:
        rows = session.execute(sa.select(*columns).where(SearchDocument.proposal_id > last_id)
                               .order_by(SearchDocument.proposal_id).limit(5000)).all()
        if not rows:
            break
        for row in rows:
            features = features_of_row(row)
            words.update(features.words.keys())
            grams.update(features.grams.keys())
        last_id = rows[-1].proposal_id
    session.execute(sa.delete(SearchTerm))
    values = [{"kind": "w", "term": t, "df": n} for t, n in words.items() if len(t) <= 200]
    values += [{"kind": "g", "term": t, "df": n} for t, n in grams.items() if len(t) <= 200]
    for start in range(0, len(values), 5000):
        session.execute(sa.insert(SearchTerm), values[start:start + 5000])
    session.flush()
    return len(values)
