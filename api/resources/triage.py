"""/api/v1/triage and the window's acts on a proposal: confirm the proposed
routing, change it with a reason, ask the applicant, link, merge. The same
operations as the triage desk (routing.operations, proposals.operations)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from api import schemas as s
from api.auth import WINDOW_ROLES, api_actor, api_user, token_required
from api.conditional import page_links, page_of, require_if_match
from api.platform import api_blueprint
from api.problems import ApiProblem
from api.representations import event_out, load_visible, proposal_out
from core.extensions import db
from core.models import Department, Event, Organisation, OrganisationKind, Theme
from proposals import operations as proposal_ops
from proposals.models import Proposal, ProposalTheme, ProposalWard, State
from routing import operations as routing_ops

blp = api_blueprint("api_triage", __name__, "/api/v1", "The window (自治推進部): triage queue and routing")

CHANGE = {412: "Changed since you read it", 428: "If-Match missing", 409: "Not possible in this state",
          422: "Invalid input"}


def _document_changes(view):
    for status, description in CHANGE.items():
        view = blp.alt_response(status, description=description)(view)
    return view


def _queue_query(args: dict):
    query = sa.select(Proposal).where(Proposal.state != State.DRAFT)
    state = args.get("state", "open")
    if state == "open":
        query = query.where(Proposal.state.in_(routing_ops.TRIAGE_STATES))
    else:
        query = query.where(Proposal.state == State(state))
    if args.get("ward"):
        query = query.where(Proposal.id.in_(
            sa.select(ProposalWard.proposal_id).join(Department, Department.id == ProposalWard.ward_id)
            .where(Department.code == args["ward"])))
    if args.get("theme"):
        query = query.where(Proposal.id.in_(
            sa.select(ProposalTheme.proposal_id).join(Theme).where(Theme.code == args["theme"])))
    if args.get("kind") in {k.value for k in OrganisationKind}:
        query = query.where(Proposal.organisation_id.in_(
            sa.select(Organisation.id).where(Organisation.kind == OrganisationKind(args["kind"]))))
    if args.get("lead"):
        query = query.where(Proposal.lead_department_id.in_(
            sa.select(Department.id).where(Department.code == args["lead"])))
    if "needs_triage" in args:
        query = query.where(Proposal.needs_triage.is_(args["needs_triage"]))
    if args.get("q"):
        words = args["q"].strip().lower()
        query = query.where(sa.or_(sa.func.lower(Proposal.title).contains(words, autoescape=True),
                                   sa.func.lower(Proposal.summary).contains(words, autoescape=True)))
    return query


@blp.route("/triage", methods=["GET"])
@token_required("read", roles=WINDOW_ROLES)
@blp.arguments(s.TriageArgs, location="query")
@blp.response(200, s.ProposalPage)
def queue(args):
    """The triage queue (open proposals by default), newest first, with filters and search."""
    rows, next_cursor = page_of(_queue_query(args), Proposal.id, cursor=args.get("cursor"), limit=args["limit"])
    user = api_user()
    return {"items": [proposal_out(p, user) for p in rows], "next_cursor": next_cursor}, 200, page_links(next_cursor)


def _department(code: str, field: str) -> int:
    department_id = db.session.scalar(sa.select(Department.id).where(Department.code == code, Department.active))
    if department_id is None:
        raise ApiProblem(422, errors=[{"field": field, "message": _l("部署コード「%(code)s」は見つかりません。", code=code)}])
    return department_id


def _other(reference: str, field: str) -> Proposal:
    other = db.session.scalar(sa.select(Proposal).where(Proposal.reference == reference, Proposal.state != State.DRAFT))
    if other is None:
        raise ApiProblem(422, errors=[{"field": field, "message": _l("受付番号 %(ref)s の提案が見つかりません。", ref=reference)}])
    return other


def _run(proposal_id: int, act) -> dict:
    """Check If-Match under the row lock, run one operation, commit once."""
    proposal = require_if_match(load_visible(api_user(), proposal_id).id)
    try:
        event = act(proposal)
    except routing_ops.RoutingError as refused:
        raise ApiProblem(409, detail=refused.message) from None
    db.session.commit()
    return event_out(event, proposal_id)


def _latest_event(proposal_id: int):
    return db.session.scalar(sa.select(Event).where(Event.proposal_id == proposal_id).order_by(Event.id.desc()).limit(1))


@blp.route("/proposals/<int:proposal_id>/confirm", methods=["POST"])
@token_required("act", roles=WINDOW_ROLES)
@blp.response(200, s.EventOut)
@_document_changes
def confirm(proposal_id: int):
    """Accept the proposed routing and hand the proposal to the departments."""
    def act(proposal):
        routing_ops.confirm(proposal, api_actor(), expected_version=proposal.lock_version)
        return _latest_event(proposal.id)

    return _run(proposal_id, act)


@blp.route("/proposals/<int:proposal_id>/routing", methods=["POST"])
@token_required("act", roles=WINDOW_ROLES)
@blp.arguments(s.RoutingChangeIn)
@blp.response(200, s.EventOut)
@_document_changes
def change_routing(body, proposal_id: int):
    """Change the lead and co-departments, with a reason; assign, or keep it in triage."""
    lead = _department(body["lead"], "lead")
    co = [_department(code, "co") for code in body["co"]]

    def act(proposal):
        routing_ops.change_routing(proposal, api_actor(), lead, co, body["reason"],
                                   expected_version=proposal.lock_version, assign=body["assign"])
        return _latest_event(proposal.id)

    return _run(proposal_id, act)


@blp.route("/proposals/<int:proposal_id>/request-information", methods=["POST"])
@token_required("act", roles=WINDOW_ROLES)
@blp.arguments(s.RequiredCommentIn)
@blp.response(200, s.EventOut)
@_document_changes
def request_information(body, proposal_id: int):
    """Ask the applicant for more information (from triage)."""
    return _run(proposal_id, lambda proposal: proposal_ops.transition(
        proposal, State.INFO_REQUESTED, api_actor(), comment=body["comment"], expected_version=proposal.lock_version))


@blp.route("/proposals/<int:proposal_id>/links", methods=["POST"])
@token_required("act", roles=WINDOW_ROLES)
@blp.arguments(s.LinkIn)
@blp.response(200, s.EventOut)
@_document_changes
def link(body, proposal_id: int):
    """Link a related proposal (both keep going)."""
    other = _other(body["related"], "related")

    def act(proposal):
        routing_ops.link(proposal, other, api_actor(), body.get("note") or "")
        return _latest_event(proposal.id)

    return _run(proposal_id, act)


@blp.route("/proposals/<int:proposal_id>/merge", methods=["POST"])
@token_required("act", roles=WINDOW_ROLES)
@blp.arguments(s.MergeIn)
@blp.response(200, s.EventOut)
@_document_changes
def merge(body, proposal_id: int):
    """Merge this proposal into another one (it ends here)."""
    into = _other(body["into"], "into")
    return _run(proposal_id, lambda proposal: proposal_ops.merge(proposal, into, api_actor(), body["reason"]))
