"""Views of the public room. Thin: load, check permission (in the query),
validate, call one operation, commit once, render or redirect.

The blueprint "public", its template helpers, the catalogue and publication
approval live here; views_evaluation, views_partners and views_stats hold
the rest of its pages."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core.audit import Actor
from core.auth import staff_required
from core.extensions import db
from core.models import Role
from core.paging import KeysetPage, requested_page
from proposals.lifecycle import PUBLIC_STATE_LABELS
from proposals.models import Proposal, State
from proposals.operations import TransitionError
from proposals.visibility import FIELDS_BY_NAME, PUBLIC_FIELD_NAMES, consented_fields
from public import exports, queries
from public.forms import (
    EXIT_REACHED_LABELS,
    EXIT_STRATEGY_LABELS,
    ORGANISATION_KIND_LABELS,
    PARTNER_KIND_LABELS,
    REVIEW_DECISION_LABELS,
    SCOPE_LABELS,
    STAGE_LABELS,
    SUPPORT_LABELS,
    PublicationForm,
)
from public.operations import PublicError, open_for_partners, publication_candidates, set_publication

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


def evaluation_summary(proposal_id: int) -> str | None:
    """The evaluation's summary of a proposal, for other rooms' pages (the
    similar proposals panels of the triage desk and the inbox)."""
    evaluation = exports.evaluation_of(proposal_id)
    return evaluation.summary if evaluation is not None and evaluation.summary else None


@bp.app_context_processor
def evaluation_helpers():
    return {"evaluation_summary": evaluation_summary}


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
    page = queries.catalogue_page(filters)
    args = {k: v for k, v in request.args.items() if k not in ("page", "cursor") and v}
    return render_template("public/catalogue.html", proposals=page.items, total=page.shown_total, filters=filters,
                           page=page, keyset=isinstance(page, KeysetPage), args=args, **_filter_options())


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
    query = sa.select(Proposal).options(selectinload(Proposal.organisation), selectinload(Proposal.lead_department))
    if show == "published":
        query = query.where(queries.published())
    else:
        show = "pending"
        query = query.where(publication_candidates())  # eligible only: no withdrawn, not adopted or merged
    page = requested_page()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    proposals = db.session.scalars(
        query.order_by(Proposal.submitted_at.desc()).limit(50).offset((page - 1) * 50)
    ).all()
    return render_template("public/manage.html", proposals=proposals, show=show, total=total, page=page,
                           pages=max(1, math.ceil(total / 50)), form=PublicationForm())


@bp.route("/catalogue/manage/<int:proposal_id>/preview")
@staff_required(Role.WINDOW)
def publication_preview(proposal_id: int):
    """Exactly the public page as it would appear (the fields the consent named), with the confirmation."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not proposal.consent_publish or proposal.state == State.DRAFT:
        abort(404)
    record = exports.public_record(proposal)
    return render_template("public/proposal.html", proposal=proposal, record=record,
                           evaluation=record["evaluation_summary"] is not None, interest_open=False,
                           preview=True, form=PublicationForm(formdata=None),
                           withheld=[f for f in PUBLIC_FIELD_NAMES if f not in consented_fields(proposal.consent_version)],
                           field_label=lambda name: FIELDS_BY_NAME[name].label)


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
    if approved and request.form.get("confirm") != "1":
        # Publishing is confirmed on the preview of exactly what will be public.
        return redirect(url_for("public.publication_preview", proposal_id=proposal.id))
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
