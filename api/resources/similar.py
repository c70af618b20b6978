"""GET /api/v1/proposals/{reference}/similar: the similar proposals the pages
show, with the same visibility. The proposal itself must be one the token may
see (api.representations.visible_clause); then applicants get similar
*published* proposals (the review step's panel: public fields only, the shared
words public too), staff every submitted proposal across wards and years (the
triage and inbox detail pages' panel) with the internal state and the outcome.
Also the ranked listing behind `q` on GET /api/v1/proposals."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from api import schemas_search as s
from api.auth import api_user, token_required
from api.conditional import decode_cursor, encode_cursor, page_links
from api.platform import api_blueprint
from api.problems import ApiProblem
from api.representations import proposal_out, visible_clause
from core.extensions import db
from core.models import Role
from proposals.audiences import open_for_partners
from proposals.lifecycle import public_state
from proposals.models import Proposal, State
from search import query
from search.pages import Similar, load_proposals, similar_for_staff, similar_published

blp = api_blueprint("api_similar", __name__, "/api/v1/proposals",
                    "Similar proposals (the review step's and the staff detail pages' panels)")


def _item(found: Similar, staff: bool) -> dict:
    proposal = found.proposal
    item = {
        "reference": proposal.reference, "title": proposal.title, "summary": proposal.summary,
        "organisation": proposal.organisation.name if proposal.organisation else None,
        "status": public_state(proposal.state).value, "score": found.score, "shared_words": found.shared,
    }
    if proposal.consent_publish and proposal.publication_approved:
        item["url"] = url_for("public.proposal", reference=proposal.reference, _external=True)
    if staff:
        item.update(id=proposal.id, state=proposal.state.value, fiscal_year=proposal.fiscal_year,
                    wards=proposal.ward_codes, decision_reason=proposal.decision_reason,
                    lead_department=proposal.lead_department.code if proposal.lead_department else None)
    else:
        item["partner_interest_open"] = open_for_partners(proposal)
    return item


@blp.route("/<reference>/similar", methods=["GET"])
@token_required("read")
@blp.arguments(s.SimilarArgs, location="query")
@blp.response(200, s.SimilarList)
@blp.alt_response(404, description="Not found")
def similar(args, reference: str):
    """Proposals like this one, best first (applicants: published ones only; staff: all, with score and shared
    words). A draft is compared as written so far."""
    user = api_user()
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == reference[:32],
                                                           visible_clause(user)))
    if proposal is None:
        raise ApiProblem(404, detail=_l("提案が見つかりません（整理番号が違うか、このトークンでは見られません）。"))
    staff = user.role != Role.APPLICANT
    found = similar_for_staff(proposal) if staff else similar_published(proposal)
    return {"reference": proposal.reference, "scope": "staff" if staff else "published",
            "items": [_item(x, staff) for x in found[:args["limit"]]]}


def ranked_listing(args: dict):
    """The proposals the token may see that match `q`, best first; the cursor is the position reached.
    Drafts are not indexed, so an applicant's search finds submitted proposals only."""
    user = api_user()
    scope = sa.select(Proposal.id).where(visible_clause(user), Proposal.state != State.DRAFT)
    results = query.search(args["q"], scope, public=False)
    start = max(decode_cursor(args.get("cursor")) or 0, 0)
    ids = results.ids[start:start + args["limit"]] if results else []
    found = load_proposals(ids) if ids else {}
    more = results is not None and start + args["limit"] < len(results.ids)
    next_cursor = encode_cursor(start + args["limit"]) if more else None
    items = [proposal_out(found[i], user) for i in ids if i in found]
    return {"items": items, "next_cursor": next_cursor}, 200, page_links(next_cursor)

