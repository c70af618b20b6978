"""The staff search: /search, over every proposal the signed-in staff member
may see (search.access), ranked, the matches marked, with the state and
fiscal year filters."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user

from core.auth import staff_required
from core.paging import requested_page
from proposals.lifecycle import STATE_LABELS
from proposals.models import Proposal, State
from search import query
from search.access import staff_visible
from search.pages import load_proposals, ranked_page

bp = Blueprint("search", __name__, url_prefix="/search")
PAGE_SIZE = 20


def _scope(args):
    scope = sa.select(Proposal.id).where(staff_visible(current_user))
    state = args.get("state")
    if state in {s.value for s in State} and state != State.DRAFT.value:
        scope = scope.where(Proposal.state == State(state))
    year = args.get("fy", "")
    if year.isdigit() and 1990 < int(year) < 2200:
        scope = scope.where(Proposal.fiscal_year == int(year))
    return scope


@bp.route("", strict_slashes=False)
@staff_required()
def staff_search():
    text = (request.args.get("q") or "")[:query.MAX_QUERY]
    results = query.search(text, _scope(request.args), public=False)
    page = ranked_page(results, requested_page(), PAGE_SIZE, load_proposals) if results else None
    states = [(s.value, STATE_LABELS[s]) for s in State if s != State.DRAFT]
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("search/staff.html", page=page, q=text, query=results.query if results else None,
                           states=states, filters=filters, args=request.args)
