"""The triage desk of the window (自治推進部): /triage."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, load_only, selectinload
from wtforms.fields.choices import SelectChoice

from core.audit import Actor
from core.auth import staff_required
from core.calendar import TOKYO, BusinessCalendar, local_today, to_local
from core.columns import utcnow
from core.extensions import db
from core.models import Department, DepartmentKind, Event, Organisation, OrganisationKind, Role, Theme, User
from core.paging import Key, Keyset, keyset_page, requested_page
from proposals import operations as proposal_ops
from proposals.labels import label
from proposals.lifecycle import STATE_LABELS
from proposals.models import Proposal, ProposalTheme, ProposalWard, State
from routing import operations
from routing.forms import ChangeRoutingForm, ConfirmForm, InfoRequestForm, LinkForm, MergeForm, ResumeForm
from routing.models import Misroute, RoutingRecord
from search import query as search_query
from search.pages import in_rank_order

bp = Blueprint("triage", __name__, url_prefix="/triage")
PAGE_SIZE = 25
OPEN = "open"
# Each order ends with the id, so a row's key is unique and a page can start right after it (keyset
# pagination). A submitted proposal always has a submitted_at and a reference (submitted_has_reference);
# its lead department can be missing (routed by no rule yet): those come last.
_SUBMITTED = Key(Proposal.submitted_at, kind="datetime")
SORTS = {
    "oldest": Keyset("oldest", (_SUBMITTED, Key(Proposal.id))),
    "newest": Keyset("newest", (Key(Proposal.submitted_at, descending=True, kind="datetime"),
                                Key(Proposal.id, descending=True))),
    "reference": Keyset("reference", (Key(Proposal.reference, kind="str"), Key(Proposal.id))),
    "lead": Keyset("lead", (Key(Proposal.lead_department_id, nullable=True), _SUBMITTED, Key(Proposal.id))),
}
AGES = (1, 3, 7, 14, 30)
QUEUE_COLUMNS = (Proposal.reference, Proposal.title, Proposal.state, Proposal.needs_triage, Proposal.submitted_at,
                 Proposal.organisation_id, Proposal.lead_department_id, Proposal.routing_decision)

def overdue_cutoff():
    """Proposals submitted before this moment have waited longer than the
    triage allowance (TRIAGE_BUSINESS_DAYS business days, default 2)."""
    days = int(current_app.config["TRIAGE_BUSINESS_DAYS"])
    day = BusinessCalendar.from_database().business_days_before(local_today(), days)
    return datetime.combine(day, time.min, tzinfo=TOKYO)


def _queue_query(args):
    query = sa.select(Proposal).where(Proposal.state != State.DRAFT)
    state = args.get("state") or OPEN
    if state == OPEN:
        query = query.where(Proposal.state.in_(operations.TRIAGE_STATES))
    elif state in [s.value for s in State]:
        query = query.where(Proposal.state == State(state))
    ward = args.get("ward")
    if ward:
        query = query.where(Proposal.id.in_(
            sa.select(ProposalWard.proposal_id).join(Department, Department.id == ProposalWard.ward_id)
            .where(Department.code == ward)))
    theme = args.get("theme")
    if theme:
        picked = sa.select(ProposalTheme.proposal_id).join(Theme).where(Theme.code == theme)
        inferred = sa.select(RoutingRecord.proposal_id).where(RoutingRecord.primary_theme == theme)
        query = query.where(sa.or_(Proposal.id.in_(picked), Proposal.id.in_(inferred)))
    kind = args.get("kind")
    if kind in [k.value for k in OrganisationKind]:
        query = query.where(Proposal.organisation_id.in_(
            sa.select(Organisation.id).where(Organisation.kind == OrganisationKind(kind))))
    age = args.get("age", type=int)
    if age:
        query = query.where(Proposal.submitted_at <= _days_ago(age))
    if args.get("overdue"):
        query = query.where(Proposal.state.in_(operations.TRIAGE_STATES), Proposal.submitted_at < overdue_cutoff())
    if args.get("needs_triage"):
        query = query.where(Proposal.needs_triage.is_(True))
    lead = args.get("lead")
    if lead:
        query = query.where(Proposal.lead_department_id.in_(sa.select(Department.id).where(Department.code == lead)))
    sort = args.get("sort") if args.get("sort") in SORTS else "oldest"
    # Only the columns a queue row shows: the long texts and the drafts' data stay in the database.
    # Its organisation and lead department in the same statement (one each: a join), its wards in one more.
    query = query.options(load_only(*QUEUE_COLUMNS), joinedload(Proposal.organisation),
                          joinedload(Proposal.lead_department), selectinload(Proposal.ward_links))
    text = (args.get("q") or "").strip()
    results = search_query.search(text, query.with_only_columns(Proposal.id), public=False) if text else None
    if results is not None:
        return in_rank_order(query, results), "relevance"  # the best matches first, whatever the sort
    return query, sort  # ordered by the page (keyset_page), in SORTS[sort]


def _days_ago(days: int):
    return utcnow() - timedelta(days=days)


def _filter_options(locale: str) -> dict[str, list[tuple[str, str]]]:
    """Each filter's (value, label) pairs, labels in the reader's language: made here once
    rather than in the template option by option (a lookup each), for a queue page at scale."""
    wards = db.session.execute(sa.select(Department.code, Department.name_ja, Department.name_en)
                               .where(Department.kind == DepartmentKind.WARD).order_by(Department.id)).all()
    themes = db.session.execute(sa.select(Theme.code, Theme.name_ja, Theme.name_en)
                                .where(Theme.active).order_by(Theme.position)).all()

    def named(rows):
        return [(code, name_en if locale == "en" else name_ja) for code, name_ja, name_en in rows]

    return {
        "state": [(s.value, str(STATE_LABELS.get(s, s.value))) for s in list(State)[1:]],
        "ward": named(wards),
        "theme": named(themes),
        "kind": [(k.value, label("organisation_kind", k)) for k in OrganisationKind],
        "age": [(str(a), str(_l("%(n)s日以上", n=a))) for a in AGES],
    }


@bp.route("/")
@staff_required(Role.WINDOW)
def queue():
    query, sort = _queue_query(request.args)
    if sort == "relevance":  # a bounded, ranked list of ids: paged by number
        page = db.paginate(query, page=requested_page(), per_page=PAGE_SIZE, error_out=False)
    else:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        page = keyset_page(query, SORTS[sort], cursor=request.args.get("cursor"), page=requested_page(),
                           per_page=PAGE_SIZE, total=total, session=db.session)
    cutoff = overdue_cutoff()

    def is_overdue(proposal: Proposal) -> bool:
        when = proposal.submitted_at
        if when is None or proposal.state not in operations.TRIAGE_STATES:
            return False
        return (when if when.tzinfo else when.replace(tzinfo=UTC)) < cutoff

    filters = {k: v for k, v in request.args.items() if k not in ("page", "cursor") and v}
    ids = [p.id for p in page.items]
    sent_back = set(db.session.scalars(sa.select(Misroute.proposal_id).where(Misroute.proposal_id.in_(ids)))) if ids \
        else set()
    return render_template(
        "routing/queue.html", page=page, keyset=sort != "relevance", sort=sort, args=request.args, filters=filters,
        options=_filter_options(str(get_locale() or "ja")), is_overdue=is_overdue, sent_back=sent_back,
        now_local=to_local, OPEN=OPEN,
    )


def _load(reference: str) -> Proposal:
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == reference,
                                                           Proposal.state != State.DRAFT))
    return proposal or abort(404)


def _department_choices():
    rows = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    locale = "en" if getattr(current_user, "locale", "ja") == "en" else "ja"
    return [SelectChoice(d.id, d.name(locale)) for d in rows]


def _forms(proposal: Proposal, formdata=None, acting: str | None = None):
    """The desk's forms; only the one being submitted (`acting`) reads the request."""
    version = str(proposal.lock_version)
    lead_id, co_ids = operations.proposed_routing(proposal)

    def data(name):
        return formdata if formdata is not None and acting == name else None

    def seen(name):
        # The submitted form keeps the version it was rendered with (missing = stale), never the current one.
        return {} if data(name) is not None else {"lock_version": version}

    change = ChangeRoutingForm(formdata=data("change"), prefix="change", lead=lead_id, co=co_ids, **seen("change"))
    choices = _department_choices()
    # After a hand-back without a suggestion nothing is pre-selected: staff choose.
    change.lead.choices = choices if lead_id is not None else [SelectChoice(0, _l("主担当部署を選んでください")), *choices]
    change.co.choices = choices
    forms = {
        "confirm": ConfirmForm(prefix="confirm", formdata=data("confirm"), **seen("confirm")),
        "change": change,
        "info": InfoRequestForm(prefix="info", formdata=data("info"), **seen("info")),
        "link": LinkForm(prefix="link", formdata=data("link")),
        "merge": MergeForm(prefix="merge", formdata=data("merge"), **seen("merge")),
        "resume": ResumeForm(prefix="resume", formdata=data("resume"), **seen("resume")),
    }
    return forms, lead_id, co_ids


def _render_detail(proposal: Proposal, forms=None, status: int = 200):
    if forms is None:
        forms, lead_id, co_ids = _forms(proposal)
    else:
        lead_id, co_ids = operations.proposed_routing(proposal)
    departments = {d.id: d for d in db.session.scalars(sa.select(Department))}
    by_code = {d.code: d for d in departments.values()}
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    events = db.session.scalars(sa.select(Event).where(Event.proposal_id == proposal.id)
                                .order_by(Event.created_at, Event.id)).all()
    records = db.session.scalars(sa.select(RoutingRecord).where(RoutingRecord.proposal_id == proposal.id)
                                 .order_by(RoutingRecord.id)).all()
    sent_back = db.session.scalar(sa.select(Misroute).where(Misroute.proposal_id == proposal.id)
                                  .order_by(Misroute.id.desc()).limit(1))
    back = operations.hand_back(proposal)
    if sent_back is not None and back is not None and sent_back.event_id != back.event.id:
        sent_back = None  # an older misroute: this hand-back came from somewhere else
    return render_template(
        "routing/detail.html", sent_back=sent_back if proposal.state in operations.TRIAGE_STATES else None,
        hand_back=back, hand_back_pending=operations.pending_hand_back(proposal, back) is not None,
        proposal=proposal, forms=forms, decision=proposal.routing_decision or {},
        lead=departments.get(lead_id), co=[departments[c] for c in co_ids if c in departments],
        by_code=by_code, themes=themes, events=events, records=records,
        related=operations.related_proposals(proposal), open_states=operations.TRIAGE_STATES,
        now_local=to_local, departments=departments,
    ), status


@bp.route("/<reference>")
@staff_required(Role.WINDOW)
def detail(reference: str):
    return _render_detail(_load(reference))


def _what_happened(proposal_id: int) -> str:
    """After a conflict: what the other person did, to show instead of a bare error."""
    db.session.rollback()
    proposal = db.session.get(Proposal, proposal_id)
    db.session.refresh(proposal)
    event = db.session.scalar(sa.select(Event).where(Event.proposal_id == proposal_id)
                              .order_by(Event.id.desc()).limit(1))
    who = ""
    if event is not None:
        user = db.session.get(User, event.actor_user_id) if event.actor_user_id else None
        who = (user.name or user.email) if user else (event.actor_label or "")
    lead = proposal.lead_department.name_ja if proposal.lead_department else "-"
    when = to_local(event.created_at).strftime("%H:%M") if event is not None else ""
    return str(_l("他の職員（%(who)s）が %(when)s にこの提案を処理しました。現在の状態は「%(state)s」、主担当は「%(lead)s」です。"
                  "あなたの操作は行われていません。内容を確認してください。",
                  who=who, when=when, state=STATE_LABELS.get(proposal.state, proposal.state), lead=lead))


def _act(reference: str, form_name: str, run):
    proposal = _load(reference)
    forms, *_ = _forms(proposal, formdata=request.form, acting=form_name)
    form = forms[form_name]
    if not form.validate_on_submit():
        flash(_l("入力内容を確認してください。"), "error")
        return _render_detail(proposal, forms, 400)
    proposal_id = proposal.id
    try:
        message = run(proposal, form, Actor.of_user(current_user))
        db.session.commit()
    except proposal_ops.Conflict:
        flash(_what_happened(proposal_id), "error")
        return redirect(url_for("triage.detail", reference=reference))
    except (proposal_ops.TransitionError, operations.RoutingError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_detail(_load(reference), None, 400)
    flash(message, "success")
    return redirect(url_for("triage.detail", reference=reference))


@bp.route("/<reference>/confirm", methods=["POST"])
@staff_required(Role.WINDOW)
def confirm(reference: str):
    def run(proposal, form, actor):
        operations.confirm(proposal, actor, expected_version=form.expected_version())
        return _l("振り分けを確認し、担当部署に割り当てました。")

    return _act(reference, "confirm", run)


@bp.route("/<reference>/change", methods=["POST"])
@staff_required(Role.WINDOW)
def change(reference: str):
    assign = request.form.get("do") != "save"

    def run(proposal, form, actor):
        operations.change_routing(proposal, actor, form.lead.data, form.co.data or [], form.reason.data,
                                  expected_version=form.expected_version(), assign=assign)
        return _l("振り分けを変更し、担当部署に割り当てました。") if assign else _l("振り分けの変更を保存しました（未割当）。")

    return _act(reference, "change", run)


@bp.route("/<reference>/request-info", methods=["POST"])
@staff_required(Role.WINDOW)
def request_info(reference: str):
    def run(proposal, form, actor):
        proposal_ops.transition(proposal, State.INFO_REQUESTED, actor, comment=form.comment.data,
                                expected_version=form.expected_version())
        return _l("申請者に追加情報を依頼しました。")

    return _act(reference, "info", run)


@bp.route("/<reference>/resume", methods=["POST"])
@staff_required(Role.WINDOW)
def resume(reference: str):
    """The applicant has not answered: the window carries on without the
    answer (back to where the question was asked; the department's clock runs again)."""
    def run(proposal, form, actor):
        if proposal.state != State.INFO_REQUESTED or proposal.resume_state is None:
            raise operations.RoutingError(_l("この提案は追加情報の回答待ちではありません。"))
        proposal_ops.transition(proposal, proposal.resume_state, actor, comment=form.comment.data,
                                expected_version=form.expected_version(), data={"without_answer": True})
        return _l("回答を待たずに検討を再開しました。")

    return _act(reference, "resume", run)


def _submitted_proposal(reference: str) -> Proposal:
    """Another submitted proposal named by its reference, for linking or merging."""
    other = db.session.scalar(sa.select(Proposal).where(Proposal.reference == reference,
                                                        Proposal.state != State.DRAFT))
    if other is None:
        raise operations.RoutingError(_l("受付番号 %(ref)s の提案が見つかりません。", ref=reference))
    return other


@bp.route("/<reference>/link", methods=["POST"])
@staff_required(Role.WINDOW)
def link(reference: str):
    def run(proposal, form, actor):
        other = _submitted_proposal(form.related.data)
        operations.link(proposal, other, actor, form.note.data or "")
        return _l("関連する提案として登録しました。")

    return _act(reference, "link", run)


@bp.route("/<reference>/merge", methods=["POST"])
@staff_required(Role.WINDOW)
def merge(reference: str):
    def run(proposal, form, actor):
        into = _submitted_proposal(form.into.data)
        expected = form.expected_version()
        if expected is not None and proposal.lock_version != expected:
            raise proposal_ops.Conflict(_l("この提案は他の職員によって更新されました。"))
        proposal_ops.merge(proposal, into, actor, form.reason.data)
        return _l("提案を統合しました。")

    return _act(reference, "merge", run)
