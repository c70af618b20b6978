"""Administrators see who read whose personal contact details, and when
(the reads are logged by proposals.privacy.log_contact_read)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from sqlalchemy.orm import selectinload

from core.auth import staff_required
from core.extensions import db
from core.models import Event, Role
from core.paging import requested_page
from proposals.models import Proposal

bp = Blueprint("privacy_admin", __name__, url_prefix="/admin/privacy")
PAGE_SIZE = 100


@bp.route("/reads")
@staff_required(Role.ADMIN)
def reads():
    query = (sa.select(Event, Proposal.reference).join(Proposal, Proposal.id == Event.proposal_id)
             .where(Event.kind == "personal_data_viewed").order_by(Event.id.desc())
             .options(selectinload(Event.actor_user), selectinload(Event.department)))
    page = requested_page()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("responses/privacy_reads.html", rows=rows, total=total, page=page)
