"""/api/v1/proposals: applicants create, fill and submit drafts, attach
files, follow the status and timeline, exchange messages, answer questions
and withdraw; staff read what their pages show them. Every change goes
through the operations the pages call (intake.operations, proposals.operations)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, request, url_for
from flask_babel import lazy_gettext as _l

from api import schemas as s
from api.auth import APPLICANT_ROLES, api_user, token_required
from api.conditional import etag_of, idempotent, page_links, page_of, require_if_match, with_etag
from api.platform import api_blueprint
from api.problems import ApiProblem, text
from api.representations import load_visible, messages, proposal_out, timeline, visible_clause
from api.resources import drafts, similar
from api.schemas_search import ProposalListArgs
from core.audit import Actor
from core.extensions import db
from core.models import Organisation, Role
from intake import files as file_store
from intake import operations as intake_ops
from intake.operations import IntakeError
from proposals.models import Message, Proposal, State

blp = api_blueprint("api_proposals", __name__, "/api/v1/proposals",
                    "Proposals: applicants' drafts, submission, status, timeline, messages; staff reads")

CHANGE = {412: "Changed since you read it", 428: "If-Match missing", 409: "Not possible in this state",
          422: "Invalid input"}


def _document_changes(view):
    for status, description in CHANGE.items():
        view = blp.alt_response(status, description=description)(view)
    return view


def _out(proposal: Proposal) -> dict:
    user = api_user()
    missing = [{"field": p["field"], "message": text(p["message"])} for p in drafts.missing(proposal)] \
        if proposal.state == State.DRAFT else []
    return proposal_out(proposal, user, missing)


def _own_draft(proposal_id: int) -> Proposal:
    proposal = require_if_match(load_visible(api_user(), proposal_id).id)
    if proposal.state != State.DRAFT:
        raise ApiProblem(409, detail=_l("提出済みの提案は編集できません。"))
    return proposal


def _applicant_proposal(proposal_id: int) -> Proposal:
    if api_user().role != Role.APPLICANT:
        raise ApiProblem(403, detail=_l("この操作は提案した団体のメンバーだけが行えます。"))
    return require_if_match(load_visible(api_user(), proposal_id).id)


@blp.route("", methods=["GET"])
@token_required("read")
@blp.arguments(ProposalListArgs, location="query")
@blp.response(200, s.ProposalPage)
def list_proposals(args):
    """Proposals this token may see, newest first (applicants: their organisations', drafts included);
    with `q`, the submitted ones that match, best first (docs/search.md)."""
    if (args.get("q") or "").strip():
        return similar.ranked_listing(args)
    query = sa.select(Proposal).where(visible_clause(api_user()))
    rows, next_cursor = page_of(query, Proposal.id, cursor=args.get("cursor"), limit=args["limit"])
    user = api_user()
    return {"items": [proposal_out(p, user) for p in rows], "next_cursor": next_cursor}, 200, page_links(next_cursor)


@blp.route("", methods=["POST"])
@token_required("act", roles=APPLICANT_ROLES)
@idempotent
@blp.arguments(s.DraftIn)
@blp.response(201, s.ProposalOut)
@blp.alt_response(422, description="Invalid input")
def create_draft(body):
    """Start a draft (optionally filled); send Idempotency-Key to retry safely."""
    user = api_user()
    organisation = None
    if body.get("organisation_id") is not None:
        if body["organisation_id"] not in user.organisation_ids():
            raise ApiProblem(422, errors=[{"field": "organisation_id",
                                           "message": _l("あなたが所属する団体の番号を指定してください。")}])
        organisation = db.session.get(Organisation, body["organisation_id"])
    proposal = intake_ops.create_draft(Actor.of_user(user), user=user, organisation=organisation)
    drafts.fill(proposal, body, user)
    db.session.commit()
    location = url_for("api_proposals.get_proposal", proposal_id=proposal.id)
    return with_etag(_out(proposal), proposal, 201, {"Location": location})


@blp.route("/<int:proposal_id>", methods=["GET"])
@token_required("read")
@blp.response(200, s.ProposalOut)
@blp.alt_response(404, description="Not found")
@blp.alt_response(304, description="Not modified (If-None-Match)")
def get_proposal(proposal_id: int):
    """One proposal with its status and its ETag (the version to send in If-Match);
    If-None-Match with the current ETag answers 304 Not Modified."""
    proposal = load_visible(api_user(), proposal_id)
    if etag_of(proposal) in (request.headers.get("If-None-Match") or ""):
        return Response(status=304, headers={"ETag": etag_of(proposal)})
    return with_etag(_out(proposal), proposal)


@blp.route("/<int:proposal_id>", methods=["PATCH"])
@token_required("act", roles=APPLICANT_ROLES)
@blp.arguments(s.DraftIn)
@blp.response(200, s.ProposalOut)
@_document_changes
def update_draft(body, proposal_id: int):
    """Fill sections of a draft; each section is one step of the form, sent whole."""
    proposal = _own_draft(proposal_id)
    if "organisation_id" in body:
        raise ApiProblem(422, errors=[{"field": "organisation_id",
                                       "message": _l("団体は下書きを作るときにだけ選べます。")}])
    drafts.fill(proposal, body, api_user())
    db.session.commit()
    return with_etag(_out(proposal), proposal)


@blp.route("/<int:proposal_id>/attachments", methods=["POST"])
@token_required("act", roles=APPLICANT_ROLES)
@blp.arguments(s.FileIn, location="files")
@blp.response(201, s.AttachmentOut)
@_document_changes
def attach(files, proposal_id: int):
    """Attach a file to a draft (multipart/form-data, field `file`)."""
    return _attach(_own_draft(proposal_id), files)


@blp.route("/<int:proposal_id>/submit", methods=["POST"])
@token_required("act", roles=APPLICANT_ROLES)
@blp.arguments(s.SubmitIn)
@blp.response(200, s.ProposalOut)
@_document_changes
def submit(body, proposal_id: int):
    """Submit a complete draft: it gets its reference and goes to routing."""
    proposal = _own_draft(proposal_id)
    drafts.require_complete(proposal)
    intake_ops.submit_proposal(proposal, api_user(), consent_publish=body["consent_publish"])
    db.session.commit()
    proposal = db.session.get(Proposal, proposal_id)
    return with_etag(_out(proposal), proposal)


@blp.route("/<int:proposal_id>/timeline", methods=["GET"])
@token_required("read")
@blp.response(200, s.Timeline)
def get_timeline(proposal_id: int):
    """The timeline (applicants: the public one, as on their status page)."""
    proposal = load_visible(api_user(), proposal_id)
    return {"items": timeline(proposal, api_user())}


@blp.route("/<int:proposal_id>/messages", methods=["GET"])
@token_required("read")
@blp.response(200, s.Messages)
def get_messages(proposal_id: int):
    proposal = load_visible(api_user(), proposal_id)
    return {"items": messages(proposal, api_user())}


@blp.route("/<int:proposal_id>/messages", methods=["POST"])
@token_required("act", roles=APPLICANT_ROLES)
@blp.arguments(s.MessageIn)
@blp.response(201, s.MessageOut)
@blp.alt_response(409, description="Not possible in this state")
def post_message(body, proposal_id: int):
    """A message from the applicant to the departments."""
    proposal = load_visible(api_user(), proposal_id)
    try:
        message = intake_ops.send_message(proposal, api_user(), body["body"], [], parent_id=body.get("parent_id"))
    except IntakeError as refused:
        raise ApiProblem(409, detail=refused.message) from None
    db.session.commit()
    return {"id": message.id, "body": message.body, "at": message.created_at, "parent_id": message.parent_id,
            "from_applicant": True, "department": None, "internal": False}


@blp.route("/<int:proposal_id>/messages/<int:message_id>/attachments", methods=["POST"])
@token_required("act", roles=APPLICANT_ROLES)
@blp.arguments(s.FileIn, location="files")
@blp.response(201, s.AttachmentOut)
@blp.alt_response(404, description="Not found")
@blp.alt_response(422, description="Invalid input")
def attach_to_message(files, proposal_id: int, message_id: int):
    """Attach a file to one of your messages (or answers) after submission (multipart, field `file`)."""
    proposal = load_visible(api_user(), proposal_id)
    message = db.session.scalar(sa.select(Message).where(Message.id == message_id, Message.proposal_id == proposal.id,
                                                         Message.author_id == api_user().id, ~Message.internal))
    if message is None:
        raise ApiProblem(404, detail=_l("このメッセージは見つかりません（自分が送ったメッセージにだけ添付できます）。"))
    return _attach(proposal, files, message_id=message.id)


def _attach(proposal: Proposal, files, *, message_id: int | None = None) -> dict:
    try:
        checked = file_store.check_upload(files["file"])
        added = intake_ops.add_attachments(proposal, [checked], Actor.of_user(api_user()), uploaded_by=api_user(),
                                           message_id=message_id)
    except (file_store.FileRejected, IntakeError) as refused:
        raise ApiProblem(422, errors=[{"field": "file", "message": refused.message}]) from None
    db.session.commit()
    row = added[0]
    return {"id": row.id, "filename": row.filename, "content_type": row.content_type,
            "size_bytes": row.size_bytes, "sha256": row.sha256}


@blp.route("/<int:proposal_id>/answer", methods=["POST"])
@token_required("act", roles=APPLICANT_ROLES)
@blp.arguments(s.AnswerIn)
@blp.response(200, s.ProposalOut)
@_document_changes
def answer(body, proposal_id: int):
    """Answer the information request: the department's clock runs again."""
    proposal = _applicant_proposal(proposal_id)
    intake_ops.answer(proposal, api_user(), body["body"], [])
    db.session.commit()
    proposal = db.session.get(Proposal, proposal_id)
    return with_etag(_out(proposal), proposal)


@blp.route("/<int:proposal_id>/withdraw", methods=["POST"])
@token_required("act", roles=APPLICANT_ROLES)
@blp.arguments(s.CommentIn)
@blp.response(200, s.ProposalOut)
@_document_changes
def withdraw(body, proposal_id: int):
    """Withdraw the proposal (optionally with a reason)."""
    proposal = _applicant_proposal(proposal_id)
    intake_ops.withdraw(proposal, api_user(), body.get("comment"), expected_version=proposal.lock_version)
    db.session.commit()
    proposal = db.session.get(Proposal, proposal_id)
    return with_etag(_out(proposal), proposal)
