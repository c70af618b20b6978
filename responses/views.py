"""Views of the responses room: the department inbox and proposal page
with the typed answers. Access is enforced in the queries (responses.access):
a department sees a proposal only through an assignment of its own; anyone
else gets a 404."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core.audit import Actor
from core.auth import staff_required
from core.calendar import local_today
from core.extensions import db
from core.models import Department, Event, Role
from core.paging import requested_page
from proposals.attachments import path_for  # where intake stores every upload (a two-character folder per key)
from proposals.group_queries import memberships_of_proposal
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Attachment, Message, Proposal, State
from proposals.operations import TransitionError
from proposals.privacy import log_contact_read
from proposals.visibility import RETURNED_REASON, Audience, Reader, may_read, written_before
from responses import operations as ops
from responses.access import live_assignment, load_proposal, may_open_files
from responses.clock import RUNNING_STATES, clock
from responses.deadlines import open_deadline
from responses.forms import (
    ANSWER_KIND_LABELS,
    AcknowledgeForm,
    AdoptForm,
    MeetingForm,
    NotAdoptForm,
    NotOursForm,
    OpinionForm,
    RequestInfoForm,
)
from responses.models import AnswerKind, AnswerTemplate
from responses.settings import calendar, setting
from search import query as search_query
from search.pages import in_rank_order

bp = Blueprint("responses", __name__, url_prefix="/inbox")

PAGE_SIZE = 30
DEPARTMENT_ROLES = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER, Role.WINDOW)


def _next_due():
    """The due date the department owes next: acknowledgement, then answer."""
    return sa.case(
        (Assignment.acknowledged_at.is_(None), Assignment.ack_due_on),
        (Assignment.answered_at.is_(None), Assignment.answer_due_on),
        else_=None,
    )


# --- the inbox ----------------------------------------------------------------------------------

FILTER_STATUS = ("open", "returned", "closed", "all")
REFERENCE = re.compile(r"^[A-Za-z]{1,8}-\d{4}(-\d{0,6})?$")  # KW-2026-000123, or its start
FILTER_DUE = ("", "overdue", "soon", "paused")
SORTS = ("due", "assigned", "reference")


@bp.route("", strict_slashes=False)
@staff_required(*DEPARTMENT_ROLES)
def inbox():
    department_id = current_user.department_id
    if department_id is None:
        abort(403)
    args = request.args
    status = args.get("status") if args.get("status") in FILTER_STATUS else "open"
    role = args.get("role") if args.get("role") in ("lead", "co") else ""
    due = args.get("due") if args.get("due") in FILTER_DUE else ""
    sort = args.get("sort") if args.get("sort") in SORTS else "due"
    text = (args.get("q") or "").strip()
    today = local_today(clock.now())
    cal = calendar()
    next_due = _next_due()

    query = (
        sa.select(Assignment)
        .where(Assignment.department_id == department_id)  # access: this department's assignments only
        # A row shows its proposal's reference, title and state: the long texts stay in the database.
        .options(selectinload(Assignment.proposal).load_only(Proposal.reference, Proposal.title, Proposal.state))
    )
    # The proposal's columns only when a filter or the order reads them (every assignment has its
    # proposal): without them the page and its count are read from ix_assignments_open_due alone.
    if text or due in ("overdue", "soon") or sort == "reference":
        query = query.join(Proposal, Proposal.id == Assignment.proposal_id)
    if status == "open":
        query = query.where(Assignment.status == AssignmentStatus.ACTIVE)
    elif status == "returned":
        query = query.where(Assignment.status == AssignmentStatus.RETURNED)
    elif status == "closed":
        query = query.where(Assignment.status == AssignmentStatus.CLOSED)
    if role:
        query = query.where(Assignment.role == AssignmentRole(role))
    running = sa.and_(Assignment.status == AssignmentStatus.ACTIVE, Assignment.paused_since.is_(None),
                      Proposal.state.in_(RUNNING_STATES))
    if due == "overdue":
        query = query.where(running, next_due < today)
    elif due == "soon":
        horizon = cal.add_business_days(today, setting("DEADLINE_REMINDER_BUSINESS_DAYS"))
        query = query.where(running, next_due >= today, next_due <= horizon)
    elif due == "paused":
        query = query.where(Assignment.status == AssignmentStatus.ACTIVE, Assignment.paused_since.is_not(None))
    results = None
    if text and REFERENCE.match(text):
        query = query.where(Proposal.reference.ilike(f"%{text}%"))
    elif text:
        # Every text field and the organisation's name, spellings folded, best first.
        results = search_query.search(text, query.with_only_columns(Proposal.id), public=False)
    if results is not None:
        query = in_rank_order(query, results)
    elif sort == "assigned":
        query = query.order_by(Assignment.assigned_at.desc(), Assignment.id.desc())
    elif sort == "reference":
        query = query.order_by(Proposal.reference.desc())
    else:
        # Nulls last, as ix_assignments_open_due keeps them on PostgreSQL.
        query = query.order_by(next_due.asc().nulls_last(), Assignment.id)
    page = db.paginate(query, page=requested_page(), per_page=PAGE_SIZE, error_out=False)
    rows = [(a, open_deadline(a, today, cal)) for a in page.items]
    counts = _inbox_counts(department_id, today)
    return render_template(
        "responses/inbox.html", page=page, rows=rows, counts=counts, today=today,
        filters={"status": status, "role": role, "due": due, "sort": sort, "q": text},
        department=db.session.get(Department, department_id), window_member=current_user.is_window_member,
    )


def _inbox_counts(department_id: int, today: date) -> dict[str, int]:
    """The four counts above the inbox, in one pass over the department's open assignments; the
    running ones' proposals are looked up in one hashed set (ix_proposals_live), not joined row by row
    against every proposal."""
    next_due = _next_due()
    running = sa.and_(Assignment.paused_since.is_(None),
                      Assignment.proposal_id.in_(sa.select(Proposal.id).where(Proposal.state.in_(RUNNING_STATES))))

    def how_many(*conditions):
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)

    counts = db.session.execute(
        sa.select(sa.func.count(), how_many(Assignment.acknowledged_at.is_(None)), how_many(running, next_due < today),
                  how_many(Assignment.paused_since.is_not(None)))
        .select_from(Assignment)
        .where(Assignment.department_id == department_id, Assignment.status == AssignmentStatus.ACTIVE)
    ).one()
    return dict(zip(("open", "unacknowledged", "overdue", "paused"), (int(n) for n in counts), strict=True))


# --- one proposal -------------------------------------------------------------------------------

def _forms(proposal: Proposal, assignment: Assignment | None, template: AnswerTemplate | None = None) -> dict:
    version = proposal.lock_version
    forms = {
        "acknowledge": AcknowledgeForm(prefix="ack", version=version),
        "meeting": MeetingForm(prefix="meeting", version=version),
        "request_info": RequestInfoForm(prefix="info", version=version),
        "not_ours": NotOursForm(prefix="notours", version=version),
        "adopt": AdoptForm(prefix="adopt", version=version),
        "not_adopt": NotAdoptForm(prefix="notadopt", version=version),
        "opinion": OpinionForm(prefix="opinion", version=version),
    }
    departments = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    locale = str(get_locale() or "ja")
    forms["not_ours"].suggested_department.choices = [(0, _l("分からない"))] + [
        (d.id, d.name(locale)) for d in departments if assignment is None or d.id != assignment.department_id
    ]
    if template is not None and request.method == "GET":
        target = {
            AnswerKind.ACKNOWLEDGE: ("acknowledge", "note"), AnswerKind.MEETING: ("meeting", "message"),
            AnswerKind.REQUEST_INFO: ("request_info", "question"), AnswerKind.NOT_OURS: ("not_ours", "reason"),
            AnswerKind.ADOPT: ("adopt", "text"), AnswerKind.NOT_ADOPT: ("not_adopt", "applicant_text"),
            AnswerKind.OPINION: ("opinion", "body"),
        }[template.kind]
        getattr(forms[target[0]], target[1]).data = template.body
    return forms


def _exchanges(events: list[Event], messages: list[Message]) -> list[dict]:
    """The やりとり box: the messages, and the questions a department asked the applicant
    (an information request is a state change whose comment is the question), in order."""
    questions = [{"kind": "question", "at": e.created_at, "department_id": (e.data or {}).get("department_id")
                  or e.department_id, "body": e.comment, "internal": False}
                 for e in events if e.kind == "state_changed" and e.to_state == State.INFO_REQUESTED.value and e.comment]
    notes = [{"kind": "message", "at": m.created_at, "department_id": m.department_id, "body": m.body,
              "internal": m.internal} for m in messages]
    return sorted(questions + notes, key=lambda item: item["at"])


def _render_detail(proposal: Proposal, assignment: Assignment | None, forms: dict, open_action: str | None = None,
                   status: int = 200, show_contact: bool = False):
    today = local_today(clock.now())
    assignments = db.session.scalars(
        sa.select(Assignment).where(Assignment.proposal_id == proposal.id)
        .options(selectinload(Assignment.department)).order_by(Assignment.id)
    ).all()
    events = db.session.scalars(
        sa.select(Event).where(Event.proposal_id == proposal.id).order_by(Event.created_at, Event.id)
    ).all()
    messages = db.session.scalars(
        sa.select(Message).where(Message.proposal_id == proposal.id).order_by(Message.created_at, Message.id)
    ).all()
    attachments = db.session.scalars(
        sa.select(Attachment).where(Attachment.proposal_id == proposal.id).order_by(Attachment.id)
    ).all()
    reader = reader_of(assignment)
    released = assignment.closed_at if reader == Reader.FORMER_HOLDER else None
    if reader == Reader.FORMER_HOLDER:
        # What this department saw when it let go, nothing added later (proposals.visibility).
        events = [e for e in events if written_before(e.created_at, released)]
        messages = [m for m in messages if written_before(m.created_at, released)]
        assignments = [a for a in assignments if written_before(a.assigned_at, released)]
    templates = []
    if assignment is not None:
        templates = db.session.scalars(
            sa.select(AnswerTemplate).where(AnswerTemplate.department_id == assignment.department_id,
                                            AnswerTemplate.active).order_by(AnswerTemplate.kind, AnswerTemplate.title)
        ).all()
    can_act = (assignment is not None and assignment.status == AssignmentStatus.ACTIVE
               and current_user.department_id == assignment.department_id)
    return render_template(
        "responses/detail.html", proposal=proposal, assignment=assignment, assignments=assignments,
        events=events, messages=messages, exchanges=_exchanges(events, messages), attachments=attachments,
        forms=forms, can_act=can_act,
        files_open=may_open_files(assignment),
        standing=open_deadline(assignment, today) if assignment else None, today=today,
        templates=templates, kind_labels=ANSWER_KIND_LABELS, open_action=open_action,
        is_lead=assignment is not None and assignment.role == AssignmentRole.LEAD,
        opinions=[m for m in ops.co_opinions(proposal.id) if written_before(m.created_at, released)],
        pending_opinions=ops.pending_opinions(proposal.id) if can_act else [],
        reader=reader, shows_personal=may_read(Audience.PERSONAL, reader), show_contact=show_contact,
        shows_returned_reasons=may_read(RETURNED_REASON, reader), state_shown=_state_shown(proposal, events,
                                                                                                  released),
        department_names={d.id: d for d in db.session.scalars(sa.select(Department))},
        group_memberships=memberships_of_proposal(proposal.id),
    ), status


def reader_of(assignment: Assignment | None) -> Reader:
    """How the declaration of audiences sees the signed-in staff member on this proposal."""
    if assignment is not None and assignment.status == AssignmentStatus.ACTIVE \
            and assignment.department_id == current_user.department_id:
        return Reader.HOLDER
    if current_user.is_window_member:
        return Reader.WINDOW
    return Reader.FORMER_HOLDER


def _state_shown(proposal: Proposal, events: list[Event], released) -> str:
    """The proposal's state, or for a former holder the state it had when the department let go."""
    if released is None:
        return proposal.state
    moves = [e.to_state for e in events if e.kind == "state_changed" and e.to_state]
    return moves[-1] if moves else proposal.state


@bp.route("/proposals/<int:proposal_id>")
@staff_required()
def detail(proposal_id: int):
    proposal, assignment = load_proposal(proposal_id)
    template = None
    template_id = request.args.get("template", type=int)
    if template_id and assignment is not None:
        template = db.session.scalar(sa.select(AnswerTemplate).where(
            AnswerTemplate.id == template_id, AnswerTemplate.department_id == assignment.department_id))
    open_action = None
    if template is not None:
        open_action = {AnswerKind.ACKNOWLEDGE: "acknowledge", AnswerKind.MEETING: "meeting",
                       AnswerKind.REQUEST_INFO: "request_info", AnswerKind.NOT_OURS: "not_ours",
                       AnswerKind.ADOPT: "adopt", AnswerKind.NOT_ADOPT: "not_adopt",
                       AnswerKind.OPINION: "opinion"}[template.kind]
    show_contact = False
    if request.args.get("contact") == "1" and may_read(Audience.PERSONAL, reader_of(assignment)):
        # Personal contact details are shown on request, and each read is logged (個人情報保護法).
        log_contact_read(Actor.of_user(current_user), proposal)
        db.session.commit()
        show_contact = True
    return _render_detail(proposal, assignment, _forms(proposal, assignment, template), open_action,
                          show_contact=show_contact)


ACTIONS = ("acknowledge", "meeting", "request_info", "not_ours", "adopt", "not_adopt", "opinion")
DONE_MESSAGES = {
    "acknowledge": _l("受領・検討開始を登録しました。"),
    "meeting": _l("協議の候補日時を提案者に送りました。"),
    "request_info": _l("追加情報の依頼を送りました。回答が届くまで期限の計算は止まります。"),
    "not_ours": _l("窓口に戻しました。窓口が振り分けをやり直します。"),
    "adopt": _l("採択を登録し、提案者にお知らせしました。"),
    "not_adopt": _l("不採択を登録し、提案者にお知らせしました。"),
    "opinion": _l("意見を登録しました。主担当部署に表示されます。"),
}


@bp.route("/proposals/<int:proposal_id>/<action>", methods=["POST"])
@staff_required(*DEPARTMENT_ROLES)
def answer(proposal_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    assignment = live_assignment(proposal_id)
    proposal = db.session.get(Proposal, proposal_id)
    forms = _forms(proposal, assignment)
    form = forms[action]
    if not form.validate_on_submit():
        return _render_detail(proposal, assignment, forms, open_action=action, status=400)
    actor = Actor.of_user(current_user)
    version = str(form.version.data or "")
    version = int(version) if version.isdigit() else None
    try:
        if action == "acknowledge":
            ops.acknowledge(assignment, actor, form.note.data)
        elif action == "meeting":
            ops.propose_meeting(assignment, actor, [form.option1.data, form.option2.data, form.option3.data],
                                form.message.data, expected_version=version)
        elif action == "request_info":
            ops.request_information(assignment, actor, form.question.data, expected_version=version)
        elif action == "not_ours":
            ops.not_ours(assignment, actor, form.reason.data, form.suggested_department.data or None,
                         expected_version=version)
        elif action == "adopt":
            ops.adopt(assignment, actor, form.text.data, ops.NextSteps(
                budget_year=form.budget_year.data, agreement=bool(form.agreement.data),
                agreement_note=form.agreement_note.data or "", next_steps=form.next_steps.data or ""),
                expected_version=version, without_opinions=bool(form.without_opinions.data))
        elif action == "not_adopt":
            ops.not_adopt(assignment, actor, form.reason.data, form.applicant_text.data, expected_version=version,
                          without_opinions=bool(form.without_opinions.data))
        elif action == "opinion":
            ops.co_opinion(assignment, actor, form.body.data)
    except TransitionError as error:
        db.session.rollback()
        flash(error.message, "error")
        proposal = db.session.get(Proposal, proposal_id)
        assignment = db.session.get(Assignment, assignment.id)
        return _render_detail(proposal, assignment, forms, open_action=action, status=409)
    db.session.commit()
    flash(DONE_MESSAGES[action], "success")
    if action == "not_ours":
        return redirect(url_for("responses.inbox"))
    return redirect(url_for("responses.detail", proposal_id=proposal_id))


@bp.route("/proposals/<int:proposal_id>/files/<int:attachment_id>")
@staff_required()
def attachment(proposal_id: int, attachment_id: int):
    _, assignment = load_proposal(proposal_id)  # 404 for another department
    if not may_open_files(assignment):
        abort(404)
    row = db.session.scalar(sa.select(Attachment).where(Attachment.id == attachment_id,
                                                        Attachment.proposal_id == proposal_id))
    if row is None:
        abort(404)
    path = path_for(row.storage_key)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.filename)
