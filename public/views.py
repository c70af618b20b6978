"""Views of the public room. Thin: load, check permission (in the query),
validate, call one operation, commit once, render or redirect."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core.audit import Actor
from core.auth import applicant_required, staff_required
from core.extensions import db
from core.models import OrganisationKind, Role
from core.paging import requested_page
from proposals.lifecycle import PUBLIC_STATE_LABELS
from proposals.models import Proposal, State
from proposals.operations import TransitionError
from public import exports, queries
from public.forms import (
    EXIT_REACHED_LABELS,
    EXIT_STRATEGY_LABELS,
    INDICATOR_ROWS,
    ORGANISATION_KIND_LABELS,
    PARTNER_KIND_LABELS,
    REVIEW_DECISION_LABELS,
    SCOPE_LABELS,
    STAGE_LABELS,
    SUPPORT_LABELS,
    EvaluationForm,
    InterestForm,
    InterestResponseForm,
    PartnersWantedForm,
    PublicationForm,
)
from public.models import Evaluation, ExitReached, InterestStatus, PartnerInterest, ReviewDecision
from public.operations import (
    EVALUABLE_STATES,
    PARTNER_STATES,
    PublicError,
    can_evaluate,
    express_interest,
    is_proposer,
    open_for_partners,
    record_evaluation,
    respond_to_interest,
    set_partners_wanted,
    set_publication,
    withdraw_interest,
)

bp = Blueprint("public", __name__)


@bp.app_context_processor
def labels():
    return {
        "organisation_kind_label": lambda code: ORGANISATION_KIND_LABELS.get(str(code), code),
        "partner_kind_label": lambda code: PARTNER_KIND_LABELS.get(str(code), code),
        "exit_reached_label": lambda code: EXIT_REACHED_LABELS.get(str(code), code),
        "review_decision_label": lambda code: REVIEW_DECISION_LABELS.get(str(code), code),
        "exit_strategy_label": lambda code: EXIT_STRATEGY_LABELS.get(str(code), code),
        "scope_label": lambda code: SCOPE_LABELS.get(str(code), code),
        "stage_label": lambda code: STAGE_LABELS.get(str(code), code),
        "support_label": lambda code: SUPPORT_LABELS.get(str(code), code),
    }


def _pending_interests(proposal_ids) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PartnerInterest).where(
        PartnerInterest.proposal_id.in_(proposal_ids), PartnerInterest.status == InterestStatus.PENDING)) or 0


def partner_summary(proposal: Proposal | None = None) -> dict | None:
    """For the applicant's pages (/my and the status page, templates of the
    intake room): where the partner search of their proposals stands and how
    many expressions of interest wait for an answer. Without a proposal, over
    all of the signed-in applicant's proposals; None where it does not apply."""
    if not current_user.is_authenticated or current_user.role != Role.APPLICANT:
        return None
    if proposal is not None:
        if proposal.state not in PARTNER_STATES or not is_proposer(current_user, proposal):
            return None
        return {"wanted": list(proposal.partners_wanted or []), "listed": open_for_partners(proposal),
                "pending": _pending_interests([proposal.id])}
    org_ids = current_user.organisation_ids()
    mine = sa.select(Proposal.id).where(sa.or_(
        Proposal.created_by_id == current_user.id, Proposal.organisation_id.in_(org_ids) if org_ids else sa.false()))
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(PartnerInterest).where(
        PartnerInterest.user_id == current_user.id)) or 0
    return {"pending": _pending_interests(mine), "sent": sent}


def applicant_status_url(reference: str) -> str | None:
    """The applicant's status page of their proposal (the intake room's), if that room is installed."""
    return url_for("intake.status", reference=reference) if "intake.status" in current_app.view_functions else None


@bp.app_context_processor
def partner_helpers():
    return {"partner_summary": partner_summary, "applicant_status_url": applicant_status_url}


@bp.app_template_filter("dept_label")
def dept_label(thing, fallback=""):
    """The localised name of a department or theme (fallback when None)."""
    return thing.name(str(get_locale() or "ja")) if thing is not None else str(fallback)


@bp.app_template_filter("fy_label")
def fy_label(year):
    return gettext("%(year)s年度", year=year)


@bp.app_template_filter("kind_label")
def kind_label(code):
    return str(ORGANISATION_KIND_LABELS.get(str(code), code))


def _filter_options() -> dict:
    return {
        "wards": queries.wards(),
        "themes": queries.themes(),
        "statuses": [(s.value, PUBLIC_STATE_LABELS[s]) for s in queries.CATALOGUE_STATES],
        "years": queries.fiscal_years(),
        "kinds": list(ORGANISATION_KIND_LABELS.items()),
    }


# --- catalogue --------------------------------------------------------------------------------

@bp.route("/catalogue")
def catalogue():
    filters = queries.CatalogueFilters.from_args(request.args)
    proposals, total = queries.catalogue_page(filters)
    pages = max(1, math.ceil(total / queries.PAGE_SIZE))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("public/catalogue.html", proposals=proposals, total=total, filters=filters, pages=pages,
                           args=args, **_filter_options())


@bp.route("/catalogue/<reference>")
def proposal(reference: str):
    proposal = queries.published_proposal(reference)
    if proposal is None:
        abort(404)
    record = exports.public_record(proposal)
    evaluation = record["evaluation_summary"] is not None
    interest_open = open_for_partners(proposal)
    return render_template("public/proposal.html", proposal=proposal, record=record, evaluation=evaluation,
                           interest_open=interest_open)


# --- publication approval (window staff) -----------------------------------------------------

@bp.route("/catalogue/manage")
@staff_required(Role.WINDOW)
def manage_publication():
    show = request.args.get("show", "pending")
    query = (sa.select(Proposal).where(Proposal.consent_publish, Proposal.state != State.DRAFT)
             .options(selectinload(Proposal.organisation), selectinload(Proposal.lead_department)))
    if show == "published":
        query = query.where(Proposal.publication_approved)
    else:
        show = "pending"
        query = query.where(~Proposal.publication_approved)
    page = requested_page()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    proposals = db.session.scalars(
        query.order_by(Proposal.submitted_at.desc()).limit(50).offset((page - 1) * 50)
    ).all()
    return render_template("public/manage.html", proposals=proposals, show=show, total=total, page=page,
                           pages=max(1, math.ceil(total / 50)), form=PublicationForm())


@bp.route("/catalogue/manage/<int:proposal_id>", methods=["POST"])
@staff_required(Role.WINDOW)
def set_publication_view(proposal_id: int):
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    form = PublicationForm()
    if not form.validate_on_submit():
        flash(_l("公開するかどうかを選んでください。"), "error")
        return redirect(url_for("public.manage_publication"))
    approved = form.approve.data == "1"
    try:
        set_publication(proposal, approved, Actor.of_user(current_user), reason=form.reason.data)
    except (PublicError, TransitionError) as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("public.manage_publication"))
    db.session.commit()
    if approved:
        flash(_l("%(reference)s を公開しました。", reference=proposal.reference), "success")
    else:
        flash(_l("%(reference)s の公開をやめました。", reference=proposal.reference), "success")
    return redirect(url_for("public.manage_publication", show="published" if not approved else "pending"))


# --- evaluation (lead department or window) ---------------------------------------------------

def _evaluable_query():
    query = sa.select(Proposal).where(Proposal.state.in_(EVALUABLE_STATES))
    if current_user.role not in (Role.WINDOW, Role.ADMIN):
        query = query.where(Proposal.lead_department_id == current_user.department_id)
    return query


@bp.route("/evaluations")
@staff_required()
def evaluations():
    rows = db.session.execute(
        _evaluable_query().add_columns(Evaluation.id, Evaluation.review_decision)
        .outerjoin(Evaluation, Evaluation.proposal_id == Proposal.id)
        .options(selectinload(Proposal.lead_department))
        .order_by(Evaluation.id.is_not(None), Proposal.decided_at.desc()).limit(200)
    ).all()
    return render_template("public/evaluations.html", rows=rows)


@bp.route("/evaluations/<int:proposal_id>", methods=["GET", "POST"])
@staff_required()
def evaluation(proposal_id: int):
    proposal = db.session.scalar(_evaluable_query().where(Proposal.id == proposal_id))
    if proposal is None or not can_evaluate(current_user, proposal):
        abort(404)
    existing = exports.evaluation_of(proposal.id)
    form = EvaluationForm(obj=existing) if request.method == "GET" and existing else EvaluationForm()
    if request.method == "GET" and existing:
        form.review_decision.data = existing.review_decision.value if existing.review_decision else ""
        form.exit_reached.data = existing.exit_reached.value
        for i, row in enumerate(existing.indicators or [], start=1):
            if i > INDICATOR_ROWS:
                break
            for key in ("name", "target", "actual"):
                getattr(form, f"indicator_{i}_{key}").data = row.get(key, "")
    elif request.method == "GET" and proposal.period_start:
        form.implementation_start.data = proposal.period_start
        form.implementation_end.data = proposal.period_end
    error = None
    if form.validate_on_submit():
        try:
            record_evaluation(
                proposal, Actor.of_user(current_user),
                implementation_start=form.implementation_start.data,
                implementation_end=form.implementation_end.data,
                indicators=form.indicators(),
                exit_reached=ExitReached(form.exit_reached.data),
                exit_note=form.exit_note.data or "",
                review_decision=ReviewDecision(form.review_decision.data) if form.review_decision.data else None,
                reviewed_on=form.reviewed_on.data,
                summary=form.summary.data,
                finalise=form.finalise.data,
            )
        except (PublicError, TransitionError) as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_l("評価を保存しました。"), "success")
            return redirect(url_for("public.evaluation", proposal_id=proposal.id))
    return render_template("public/evaluation_form.html", proposal=proposal, form=form, existing=existing,
                           error=error, indicator_rows=range(1, INDICATOR_ROWS + 1))


# --- partners wanted --------------------------------------------------------------------------

@bp.route("/partners")
def partners():
    theme = queries.normalise_query(request.args.get("theme"))
    ward = queries.normalise_query(request.args.get("ward"))
    kind = queries.normalise_query(request.args.get("kind"))
    page = requested_page()
    kind = kind if kind in PARTNER_KIND_LABELS else ""
    proposals, total = queries.partners_page(theme=theme, ward=ward, kind=kind, page=page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("public/partners.html", proposals=proposals, total=total, theme=theme, ward=ward,
                           kind=kind, page=page, pages=max(1, math.ceil(total / queries.PAGE_SIZE)), args=args,
                           wards=queries.wards(), themes=queries.themes(), kinds=list(PARTNER_KIND_LABELS.items()))


@bp.route("/partners/<reference>/interest", methods=["GET", "POST"])
@applicant_required
def interest(reference: str):
    proposal = queries.published_proposal(reference)
    if proposal is None or not open_for_partners(proposal):
        abort(404)
    if is_proposer(current_user, proposal):
        flash(_l("ご自身の団体の提案です。届いた関心表明は「関心表明の一覧」で確認できます。"), "info")
        return redirect(url_for("public.interests"))
    form = InterestForm()
    if request.method == "GET":
        organisation = next((m.organisation for m in current_user.memberships), None)
        if organisation is not None:
            form.organisation_name.data = organisation.name
            form.organisation_kind.data = organisation.kind.value
        form.contact_name.data = current_user.name
        form.contact_email.data = current_user.email
    error = None
    if form.validate_on_submit():
        try:
            express_interest(
                proposal, Actor.of_user(current_user), organisation_name=form.organisation_name.data,
                organisation_kind=OrganisationKind(form.organisation_kind.data), offer=form.offer.data,
                contact_name=form.contact_name.data, contact_email=form.contact_email.data,
                contact_phone=form.contact_phone.data or "",
            )
        except PublicError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_l("関心を伝えました。提案団体が連絡先の交換に同意すると、メールでお知らせします。"), "success")
            return redirect(url_for("public.interests"))
    return render_template("public/interest_form.html", proposal=proposal, form=form, error=error)


@bp.route("/partners/interests")
@applicant_required
def interests():
    org_ids = current_user.organisation_ids()
    mine = sa.or_(Proposal.created_by_id == current_user.id,
                  Proposal.organisation_id.in_(org_ids) if org_ids else sa.false())
    received = db.session.scalars(
        sa.select(PartnerInterest).join(Proposal, Proposal.id == PartnerInterest.proposal_id)
        .where(mine, PartnerInterest.status != InterestStatus.WITHDRAWN)
        .options(selectinload(PartnerInterest.proposal))
        .order_by(PartnerInterest.created_at.desc())
    ).all()
    sent = db.session.scalars(
        sa.select(PartnerInterest).where(PartnerInterest.user_id == current_user.id)
        .options(selectinload(PartnerInterest.proposal))
        .order_by(PartnerInterest.created_at.desc())
    ).all()
    own = db.session.scalars(
        sa.select(Proposal).where(mine, Proposal.state.in_(PARTNER_STATES)).order_by(Proposal.submitted_at.desc())
    ).all()
    return render_template("public/interests.html", received=received, sent=sent, own=own,
                           form=InterestResponseForm())


@bp.route("/partners/wanted/<reference>", methods=["GET", "POST"])
@applicant_required
def partners_wanted(reference: str):
    proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == reference,
                                                           Proposal.state.in_(PARTNER_STATES)))
    if proposal is None or not is_proposer(current_user, proposal):
        abort(404)
    form = PartnersWantedForm()
    if request.method == "GET":
        form.kinds.data = list(proposal.partners_wanted or [])
    if form.validate_on_submit():
        set_partners_wanted(proposal, form.kinds.data or [], Actor.of_user(current_user))
        db.session.commit()
        flash(_l("募集するパートナーを保存しました。"), "success")
        return redirect(url_for("public.interests"))
    return render_template("public/partners_wanted.html", proposal=proposal, form=form)


def _interest_for_proposer(interest_id: int) -> PartnerInterest:
    interest = db.session.get(PartnerInterest, interest_id)
    if interest is None or not is_proposer(current_user, interest.proposal):
        abort(404)
    return interest


@bp.route("/partners/interests/<int:interest_id>/respond", methods=["POST"])
@applicant_required
def respond_interest(interest_id: int):
    interest = _interest_for_proposer(interest_id)
    form = InterestResponseForm()
    if not form.validate_on_submit():
        flash(_l("回答を選んでください。"), "error")
        return redirect(url_for("public.interests"))
    try:
        respond_to_interest(interest, form.decision.data == "accept", Actor.of_user(current_user))
    except PublicError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("public.interests"))
    db.session.commit()
    if interest.status == InterestStatus.ACCEPTED:
        flash(_l("連絡先を交換しました。双方にメールでお知らせしました。"), "success")
    else:
        flash(_l("お断りしました。相手の団体にはメールでお知らせしました（連絡先は共有されません）。"), "success")
    return redirect(url_for("public.interests"))


@bp.route("/partners/interests/<int:interest_id>/withdraw", methods=["POST"])
@applicant_required
def withdraw_interest_view(interest_id: int):
    interest = db.session.get(PartnerInterest, interest_id)
    if interest is None or interest.user_id != current_user.id:
        abort(404)
    try:
        withdraw_interest(interest, Actor.of_user(current_user))
    except PublicError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("public.interests"))
    db.session.commit()
    flash(_l("関心表明を取り下げました。"), "success")
    return redirect(url_for("public.interests"))


# --- statistics -------------------------------------------------------------------------------

def _fy_arg() -> int | None:
    raw = queries.normalise_query(request.args.get("fy"))
    return int(raw) if raw.isdigit() and 1990 < int(raw) < 2200 else None


@bp.route("/stats")
def stats():
    fy = _fy_arg()
    return render_template(
        "public/stats.html", fy=fy, years=queries.cached("years_list", None, queries.fiscal_years),
        totals=queries.cached("totals", fy, lambda: queries.totals(fy)),
        by_year=queries.cached("years", None, queries.by_fiscal_year),
        by_ward=queries.cached("wards", fy, lambda: queries.by_ward(fy)),
        by_theme=queries.cached("themes", fy, lambda: queries.by_theme(fy)),
        by_kind=queries.cached("kinds", fy, lambda: queries.by_organisation_kind(fy)),
        by_department=queries.cached("departments", fy, lambda: queries.by_department(fy)),
    )


def _stats_table(name: str, fy: int | None, locale: str) -> tuple[list[str], list[list]]:
    def dept_name(dept):
        return dept.name(locale) if dept is not None else ("City-wide" if locale == "en" else "全市")

    counts = ["proposals", "adopted", "not_adopted", "adoption_rate_percent"]
    if name == "years":
        return ["fiscal_year", *counts], [
            [r["fiscal_year"], r["proposals"], r["adopted"], r["not_adopted"], r["adoption_rate"]]
            for r in queries.cached("years", None, queries.by_fiscal_year)]
    if name == "wards":
        return ["ward_code", "ward", *counts], [
            [r["code"], dept_name(r["department"]), r["proposals"], r["adopted"], r["not_adopted"], r["adoption_rate"]]
            for r in queries.cached("wards", fy, lambda: queries.by_ward(fy))]
    if name == "themes":
        return ["theme_code", "theme", *counts], [
            [r["code"], r["theme"].name(locale), r["proposals"], r["adopted"], r["not_adopted"], r["adoption_rate"]]
            for r in queries.cached("themes", fy, lambda: queries.by_theme(fy))]
    if name == "kinds":
        return ["organisation_kind", "label", *counts], [
            [r["code"], str(ORGANISATION_KIND_LABELS[r["code"]]), r["proposals"], r["adopted"], r["not_adopted"],
             r["adoption_rate"]] for r in queries.cached("kinds", fy, lambda: queries.by_organisation_kind(fy))]
    if name == "departments":
        return ["department_code", "department", "acknowledged", "ack_median_days", "ack_p90_days", "answered",
                "answer_median_days", "answer_p90_days", "answered_with_deadline", "answered_on_time",
                "on_time_percent"], [
            [r["code"], dept_name(r["department"]), r["ack_n"], r["ack_median"], r["ack_p90"], r["answer_n"],
             r["answer_median"], r["answer_p90"], r["answered_with_deadline"], r["on_time"], r["on_time_rate"]]
            for r in queries.cached("departments", fy, lambda: queries.by_department(fy))]
    abort(404)


@bp.route("/stats/<name>.csv")
def stats_csv(name: str):
    fy = _fy_arg()
    header, rows = _stats_table(name, fy, str(get_locale() or "ja"))
    suffix = f"-fy{fy}" if fy else ""
    return Response(exports.table_csv(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="stats-{name}{suffix}.csv"'})


# --- open data --------------------------------------------------------------------------------

@bp.route("/open-data")
def open_data():
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(queries.published()))
    return render_template("public/open_data.html", fields=exports.FIELDS, count=count,
                           licence=current_app.config["OPEN_DATA_LICENCE"])


def _open_data_headers(extension: str) -> dict:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    return {
        "Content-Disposition": f'inline; filename="proposals-{stamp}.{extension}"',
        "X-Licence": current_app.config["OPEN_DATA_LICENCE"],
        "Access-Control-Allow-Origin": "*",
        "Cache-Control": "public, max-age=300",
    }


@bp.route("/open-data/proposals.csv")
def open_data_csv():
    body = queries.cached("open-data-csv", None, lambda: "".join(exports.csv_lines(exports.published_records())))
    return Response(body, mimetype="text/csv", headers=_open_data_headers("csv"))


@bp.route("/open-data/proposals.json")
def open_data_json():
    body = queries.cached("open-data-json", None, lambda: json.dumps(
        exports.json_document(exports.published_records()), ensure_ascii=False, indent=1))
    return Response(body, mimetype="application/json", headers=_open_data_headers("json"))
