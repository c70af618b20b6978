"""Schemas of search on the proposals listing and of similar proposals
(beside api/schemas.py, which holds the rest)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from api.schemas import PageArgs, Str
from search.query import MAX_QUERY


class ProposalListArgs(PageArgs):
    q = Str(validate=v.Length(max=MAX_QUERY), metadata={
        "description": "search words (Japanese spellings are normalised: 子ども finds 子供); with q the list is "
                       "ranked, best first, and the cursor is a position in the ranking"})


class SimilarArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    limit = f.Integer(load_default=5, validate=v.Range(min=1, max=10))


class SimilarItem(ma.Schema):
    reference = Str(required=True)
    title = Str()
    summary = Str()
    organisation = Str(allow_none=True)
    status = Str(required=True, metadata={"description": "the public status"})
    url = Str(metadata={"description": "the public page (published proposals)"})
    score = f.Float(required=True, metadata={"description": "0..1, the weighted cosine of docs/search.md"})
    shared_words = f.List(Str(), required=True, metadata={"description": "the words that count most, most first"})
    partner_interest_open = f.Boolean(metadata={"description": "applicants: the proposal looks for partners "
                                                               "(POST /partners/<reference>/interest on the site)"})
    # Staff only (absent for applicants):
    id = f.Integer()
    state = Str()
    fiscal_year = f.Integer(allow_none=True)
    wards = f.List(Str())
    lead_department = Str(allow_none=True)
    decision_reason = Str(allow_none=True)


class SimilarList(ma.Schema):
    reference = Str(required=True, metadata={"description": "the proposal compared"})
    scope = Str(required=True, validate=v.OneOf(["published", "staff"]),
                metadata={"description": "published: applicants see published proposals only; staff: every "
                                         "submitted proposal, across wards and years"})
    items = f.List(f.Nested(SimilarItem), required=True)
