"""/api/v1/assignments: a department's assignments with their deadlines,
and its typed answers (acknowledge, opinion, request information, adopt,
decline, not ours) through responses.operations, as in the inbox."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from api import schemas as s
from api.auth import DEPARTMENT_ROLES, api_actor, api_user, token_required
from api.conditional import page_links, page_of, require_if_match
from api.platform import api_blueprint
from api.problems import ApiProblem
from api.representations import assignment_out, event_out
from core.extensions import db
from core.models import Department
from proposals.models import Assignment, AssignmentStatus
from responses import operations as answer_ops

blp = api_blueprint("api_assignments", __name__, "/api/v1/assignments",
                    "Departments: assignments with deadlines and typed answers")

CHANGE = {412: "Changed since you read it", 428: "If-Match missing", 409: "Not possible in this state",
          422: "Invalid input", 404: "Not this department's assignment"}


def _document_changes(view):
    for status, description in CHANGE.items():
        view = blp.alt_response(status, description=description)(view)
    return view


def _department_id() -> int:
    department_id = api_user().department_id
    if department_id is None:
        raise ApiProblem(403, detail=_l("このトークンの利用者は部署に所属していません。"))
    return department_id


def _own(assignment_id: int) -> Assignment:
    """Only the token holder's department's assignments exist for it (404 otherwise)."""
    assignment = db.session.scalar(sa.select(Assignment).where(Assignment.id == assignment_id,
                                                               Assignment.department_id == _department_id()))
    if assignment is None:
        raise ApiProblem(404, detail=_l("この部署の割当ではありません（番号を確認してください）。"))
    return assignment


@blp.route("", methods=["GET"])
@token_required("read", roles=DEPARTMENT_ROLES)
@blp.arguments(s.AssignmentArgs, location="query")
@blp.response(200, s.AssignmentPage)
def list_assignments(args):
    """The department's assignments (active by default) with their due dates, newest first."""
    query = (sa.select(Assignment).where(Assignment.department_id == _department_id(),
                                         Assignment.status == AssignmentStatus(args["status"]))
             .options(selectinload(Assignment.proposal), selectinload(Assignment.department)))
    rows, next_cursor = page_of(query, Assignment.id, cursor=args.get("cursor"), limit=args["limit"])
    return {"items": [assignment_out(a) for a in rows], "next_cursor": next_cursor}, 200, page_links(next_cursor)


@blp.route("/<int:assignment_id>", methods=["GET"])
@token_required("read", roles=DEPARTMENT_ROLES)
@blp.response(200, s.AssignmentOut)
@blp.alt_response(404, description="Not this department's assignment")
def get_assignment(assignment_id: int):
    return assignment_out(_own(assignment_id))


def _answer(assignment_id: int, act) -> dict:
    """If-Match is the proposal's ETag (GET /proposals/{id} or proposal_version here)."""
    assignment = _own(assignment_id)
    proposal = require_if_match(assignment.proposal_id)
    event = act(assignment, proposal.lock_version)
    db.session.commit()
    return event_out(event, assignment.proposal_id)


@blp.route("/<int:assignment_id>/acknowledge", methods=["POST"])
@token_required("act", roles=DEPARTMENT_ROLES)
@blp.arguments(s.AcknowledgeIn)
@blp.response(200, s.EventOut)
@_document_changes
def acknowledge(body, assignment_id: int):
    """受領・検討開始: the acknowledgement deadline is met."""
    return _answer(assignment_id, lambda a, version: answer_ops.acknowledge(a, api_actor(), body.get("note")))


@blp.route("/<int:assignment_id>/opinion", methods=["POST"])
@token_required("act", roles=DEPARTMENT_ROLES)
@blp.arguments(s.OpinionIn)
@blp.response(200, s.EventOut)
@_document_changes
def opinion(body, assignment_id: int):
    """A co-department's opinion (staff only, shown to the lead)."""
    return _answer(assignment_id, lambda a, version: answer_ops.co_opinion(a, api_actor(), body["body"]))


@blp.route("/<int:assignment_id>/request-information", methods=["POST"])
@token_required("act", roles=DEPARTMENT_ROLES)
@blp.arguments(s.QuestionIn)
@blp.response(200, s.EventOut)
@_document_changes
def request_information(body, assignment_id: int):
    """Ask the applicant a question (lead only); the clock stops until they answer."""
    return _answer(assignment_id, lambda a, version: answer_ops.request_information(
        a, api_actor(), body["question"], expected_version=version))


@blp.route("/<int:assignment_id>/adopt", methods=["POST"])
@token_required("act", roles=DEPARTMENT_ROLES)
@blp.arguments(s.AdoptIn)
@blp.response(200, s.EventOut)
@_document_changes
def adopt(body, assignment_id: int):
    """採択, with the next steps (lead only)."""
    steps = answer_ops.NextSteps(budget_year=body.get("budget_year"), agreement=body["agreement"],
                                 agreement_note=body["agreement_note"], next_steps=body["next_steps"])
    return _answer(assignment_id, lambda a, version: answer_ops.adopt(a, api_actor(), body["text"], steps,
                                                                      expected_version=version,
                                                                      without_opinions=body["without_opinions"]))


@blp.route("/<int:assignment_id>/decline", methods=["POST"])
@token_required("act", roles=DEPARTMENT_ROLES)
@blp.arguments(s.DeclineIn)
@blp.response(200, s.EventOut)
@_document_changes
def decline(body, assignment_id: int):
    """不採択: an internal reason and the text the applicant sees (lead only)."""
    return _answer(assignment_id, lambda a, version: answer_ops.not_adopt(
        a, api_actor(), body["reason"], body["applicant_text"], expected_version=version,
        without_opinions=body["without_opinions"]))


@blp.route("/<int:assignment_id>/not-ours", methods=["POST"])
@token_required("act", roles=DEPARTMENT_ROLES)
@blp.arguments(s.NotOursIn)
@blp.response(200, s.EventOut)
@_document_changes
def not_ours(body, assignment_id: int):
    """他部署が適切: back to triage with a reason (and a suggestion)."""
    suggested = None
    if body.get("suggested_department"):
        suggested = db.session.scalar(sa.select(Department.id).where(Department.code == body["suggested_department"]))
        if suggested is None:
            raise ApiProblem(422, errors=[{"field": "suggested_department",
                                           "message": _l("部署コード「%(code)s」は見つかりません。",
                                                         code=body["suggested_department"])}])
    return _answer(assignment_id, lambda a, version: answer_ops.not_ours(
        a, api_actor(), body["reason"], suggested, expected_version=version))
