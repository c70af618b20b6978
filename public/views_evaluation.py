"""The evaluation of adopted proposals, by the lead department or the window."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core.audit import Actor
from core.auth import staff_required
from core.extensions import db
from core.models import Role
from proposals.models import Proposal
from proposals.operations import TransitionError
from public import exports
from public.forms import INDICATOR_ROWS, EvaluationForm
from public.models import Evaluation, ExitReached, ReviewDecision
from public.operations import EVALUABLE_STATES, PublicError, can_evaluate, record_evaluation
from public.views import bp

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
