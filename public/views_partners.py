"""Partners wanted: the list, expressions of interest and the proposer's answers,
and the partner summary on the applicant's pages."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core.audit import Actor
from core.auth import applicant_required
from core.extensions import db
from core.models import OrganisationKind, Role
from core.paging import requested_page
from proposals.models import Proposal
from public import queries
from public.forms import PARTNER_KIND_LABELS, InterestForm, InterestResponseForm, PartnersWantedForm
from public.models import InterestStatus, PartnerInterest
from public.operations import (
    PARTNER_STATES,
    PublicError,
    express_interest,
    is_proposer,
    open_for_partners,
    respond_to_interest,
    set_partners_wanted,
    withdraw_interest,
)
from public.views import bp


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


# --- partners wanted --------------------------------------------------------------------------

@bp.route("/partners")
def partners():
    theme = queries.normalise_query(request.args.get("theme"))
    ward = queries.normalise_query(request.args.get("ward"))
    kind = queries.normalise_query(request.args.get("kind"))
    q = queries.normalise_query(request.args.get("q"))
    page = requested_page()
    kind = kind if kind in PARTNER_KIND_LABELS else ""
    proposals, total = queries.partners_page(theme=theme, ward=ward, kind=kind, page=page, q=q)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("public/partners.html", proposals=proposals, total=total, theme=theme, ward=ward,
                           kind=kind, q=q, page=page, pages=max(1, math.ceil(total / queries.PAGE_SIZE)), args=args,
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
