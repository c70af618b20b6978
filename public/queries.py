"""Read-only queries of the public room: the catalogue, partners wanted and
the lists their filters offer (the statistics are in public/statistics.py).
Only published proposals are ever returned as rows; counting and paging is
done by the database, so the pages stay fast at a hundred thousand proposals
(see `make bench`, bench/run.py).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.models import Department, DepartmentKind, Organisation, OrganisationKind, Theme
from core.paging import Key, Keyset, KeysetPage, keyset_page, page_number
from proposals.audiences import PARTNER_STATES, published
from proposals.lifecycle import PUBLIC_STATE_OF, PublicState
from proposals.models import Proposal, ProposalTheme, ProposalWard, State
from proposals.visibility import versions_naming
from search import query as search_query
from search.pages import RankedPage, ranked_page

ADOPTED_STATES = (State.ADOPTED, State.IN_PROGRESS, State.COMPLETED, State.EVALUATED)
DECIDED_STATES = (*ADOPTED_STATES, State.NOT_ADOPTED)
# Public states a visitor can filter the catalogue by (a draft is never public).
CATALOGUE_STATES = [s for s in PublicState if s != PublicState.DRAFT]
PAGE_SIZE = 20
# Newest first; the id breaks ties of submitted_at (ix_proposals_published holds both).
CATALOGUE_ORDER = Keyset("newest", (Key(Proposal.submitted_at, descending=True, kind="datetime"),
                                    Key(Proposal.id, descending=True)))


def normalise_query(text: str | None) -> str:
    """NFKC (full-width to half-width, compatibility kana), without control
    characters (PostgreSQL refuses NUL), trimmed, lower-cased."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    return text.strip().lower()[:100]


def consented(field_name: str):
    """Proposals whose consent version named this field (proposals.visibility)."""
    return Proposal.consent_version.in_(versions_naming(field_name))


def internal_states(public: PublicState) -> list[State]:
    return [state for state, shown in PUBLIC_STATE_OF.items() if shown == public]


@dataclass
class CatalogueFilters:
    q: str = ""
    ward: str = ""
    theme: str = ""
    status: str = ""
    fy: int | None = None
    kind: str = ""
    page: int = 1
    cursor: str = ""

    @classmethod
    def from_args(cls, args) -> "CatalogueFilters":
        """Whatever is typed in the URL: unknown values are ignored, never a 500."""
        def text(name):
            return normalise_query(args.get(name))

        fy_raw = text("fy")
        page_raw = text("page")
        status = text("status")
        kind = text("kind")
        return cls(
            q=text("q"),
            ward=text("ward"),
            theme=text("theme"),
            status=status if status in {s.value for s in CATALOGUE_STATES} else "",
            fy=int(fy_raw) if fy_raw.isdigit() and 1990 < int(fy_raw) < 2200 else None,
            kind=kind if kind in {k.value for k in OrganisationKind} else "",
            page=page_number(page_raw),
            cursor=str(args.get("cursor") or "")[:1000],  # as given: opaque, and its case matters
        )

    def active(self) -> bool:
        return any([self.q, self.ward, self.theme, self.status, self.fy, self.kind])


def catalogue_query(filters: CatalogueFilters):
    query = sa.select(Proposal).where(published())
    if filters.ward:
        query = query.where(
            sa.exists().where(ProposalWard.proposal_id == Proposal.id, ProposalWard.ward_id == Department.id,
                              Department.code == filters.ward)
        )
    if filters.theme:
        query = query.where(
            sa.exists().where(ProposalTheme.proposal_id == Proposal.id, ProposalTheme.theme_id == Theme.id,
                              Theme.code == filters.theme)
        )
    if filters.status:
        query = query.where(Proposal.state.in_(internal_states(PublicState(filters.status))))
    if filters.fy:
        query = query.where(Proposal.fiscal_year == filters.fy)
    if filters.kind:
        query = query.where(
            sa.exists().where(Organisation.id == Proposal.organisation_id,
                              Organisation.kind == OrganisationKind(filters.kind)),
            consented("organisation"),
        )
    return query


def _load_listed(ids) -> dict[int, Proposal]:
    rows = db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids)).options(
        selectinload(Proposal.theme_links), selectinload(Proposal.ward_links), selectinload(Proposal.organisation),
        selectinload(Proposal.lead_department))).all()
    return {p.id: p for p in rows}


def searched_page(query, text: str, page: int) -> RankedPage | None:
    """The filtered proposals that match `text` (public fields only), best first."""
    results = search_query.search(text, query.with_only_columns(Proposal.id), public=True)
    return ranked_page(results, page, PAGE_SIZE, _load_listed) if results else None


def catalogue_page(filters: CatalogueFilters) -> KeysetPage | RankedPage:
    """Newest first, a page after (or before) the cursor's row; a text search: its ranked page instead."""
    query = catalogue_query(filters)
    if filters.q:
        found = searched_page(query, filters.q, filters.page)
        if found is not None:
            return found
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    query = query.options(selectinload(Proposal.theme_links), selectinload(Proposal.ward_links),
                          selectinload(Proposal.organisation), selectinload(Proposal.lead_department))
    return keyset_page(query, CATALOGUE_ORDER, cursor=filters.cursor, page=filters.page, per_page=PAGE_SIZE,
                       total=total, session=db.session)


def partners_page(*, theme: str, ward: str, kind: str, page: int, q: str = "") -> tuple[list[Proposal], int]:
    """Published proposals still going somewhere that seek partners (of `kind`)."""
    query = sa.select(Proposal).where(published(), Proposal.state.in_(PARTNER_STATES))
    # partners_wanted is a JSON list; a non-empty one serialises to more than "[]".
    wanted_text = sa.cast(Proposal.partners_wanted, sa.Text)
    query = query.where(sa.func.length(wanted_text) > 2, consented("partners_wanted"))
    if theme:
        query = query.where(sa.exists().where(ProposalTheme.proposal_id == Proposal.id,
                                              ProposalTheme.theme_id == Theme.id, Theme.code == theme))
    if ward:
        query = query.where(sa.exists().where(ProposalWard.proposal_id == Proposal.id,
                                              ProposalWard.ward_id == Department.id, Department.code == ward))
    if kind:
        query = query.where(wanted_text.contains(f'"{kind}"', autoescape=True))
    if q:
        found = searched_page(query, q, page)
        if found is not None:
            return found.items, found.shown_total
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(selectinload(Proposal.theme_links), selectinload(Proposal.ward_links),
                      selectinload(Proposal.organisation))
        .order_by(Proposal.submitted_at.desc(), Proposal.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return rows, total


def published_proposal(reference: str) -> Proposal | None:
    return db.session.scalar(sa.select(Proposal).where(published(), Proposal.reference == reference))


def fiscal_years() -> list[int]:
    return list(db.session.scalars(
        sa.select(Proposal.fiscal_year).where(Proposal.fiscal_year.is_not(None))
        .group_by(Proposal.fiscal_year).order_by(Proposal.fiscal_year.desc())
    ))


def wards() -> list[Department]:
    return db.session.scalars(
        sa.select(Department).where(Department.kind == DepartmentKind.WARD).order_by(Department.id)
    ).all()


def themes() -> list[Theme]:
    return db.session.scalars(sa.select(Theme).where(Theme.active).order_by(Theme.position)).all()
