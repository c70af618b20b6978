"""What the rooms' pages call: a ranked page of results (the same shape as
Flask-SQLAlchemy's pagination, so macros/pager.html works), and the similar
proposals panels of the staff detail pages and the applicant's review step."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.extensions import db
from proposals.models import Proposal
from search import query
from search.documents import analyse_proposal
from search.query import Results


@dataclass
class RankedPage:
    """One page of search results, best first."""

    items: list
    total: int
    page: int
    per_page: int
    results: Results | None = None
    shown_total: int = field(init=False)

    def __post_init__(self):
        self.shown_total = min(self.total, query.CANDIDATES)

    @property
    def counted_all(self) -> bool:
        """False when there were more matches than search counts (query.RANKED)."""
        return self.total < query.RANKED

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.shown_total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def ranked_page(results: Results, page: int, per_page: int, load) -> RankedPage:
    """The page's slice of the ranked ids, loaded by `load(ids) -> {id: object}`, in rank order."""
    ids = results.ids[(page - 1) * per_page: page * per_page]
    found = load(ids) if ids else {}
    return RankedPage([found[i] for i in ids if i in found], results.total, page, per_page, results)


def load_proposals(ids) -> dict[int, Proposal]:
    rows = db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids)).options(
        selectinload(Proposal.organisation), selectinload(Proposal.ward_links), selectinload(Proposal.theme_links),
        selectinload(Proposal.lead_department))).all()
    return {p.id: p for p in rows}


@dataclass
class Similar:
    proposal: Proposal
    score: float
    shared: list[str]


def _with_proposals(matches) -> list[Similar]:
    found = load_proposals([m.key for m in matches]) if matches else {}
    return [Similar(found[m.key], m.score, m.shared) for m in matches if m.key in found]


def similar_for_staff(proposal: Proposal) -> list[Similar]:
    """Across every ward and year: staff see what others did with the same kind of proposal."""
    analysed = query.stored_analysis(proposal.id) or analyse_proposal(proposal)
    return _with_proposals(query.similar(analysed, None, exclude=proposal.id))  # every indexed: every submitted


def similar_published(proposal: Proposal) -> list[Similar]:
    """For the applicant: published proposals only (their public fields)."""
    return _with_proposals(query.similar(analyse_proposal(proposal), query.published_scope(), exclude=proposal.id))



def in_rank_order(select, results: Results):
    """`select` (over proposals, or joined to them) limited to the results and
    ordered best first: for pages that keep their own pagination (the triage
    queue, the inbox)."""
    ids = results.ids
    if not ids:
        return select.where(sa.false())
    position = sa.case({proposal_id: rank for rank, proposal_id in enumerate(ids)}, value=Proposal.id)
    return select.where(Proposal.id.in_(ids)).order_by(None).order_by(position)
