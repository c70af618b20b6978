"""The privacy notice (linked from every page's footer and from the consent
step) and the applicant's download of everything held about them and their
organisations, as JSON (個人情報保護法: 開示)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, render_template
from flask_login import current_user

from core.auth import applicant_required
from core.extensions import db
from core.models import Event, Membership, Organisation
from intake import access
from intake.views import bp
from proposals import visibility
from proposals.models import Attachment, Message, Proposal
from proposals.privacy import retention_days
from proposals.visibility import Reader

ORGANISATION_COLUMNS = ("name", "name_kana", "kind", "city", "corporate_number", "representative", "postal_code",
                        "address", "phone", "website", "founded_year", "member_count", "created_at")
PROPOSAL_COLUMNS = ("reference", "state", "title", "summary", "issue", "activities", "outcomes", "scope", "stage",
                    "support_requested", "partners_wanted", "budget_total_yen", "budget_requested_yen", "period_start",
                    "period_end", "exit_strategy", "exit_note", "contact_name", "contact_email", "contact_phone",
                    "past_collaboration", "consent_privacy", "consent_publish", "consent_version",
                    "publication_approved", "decision_reason", "submitted_at", "decided_at", "created_at")


@bp.route("/privacy")
def privacy():
    public = [visibility.FIELDS_BY_NAME[n].label for n in visibility.PUBLIC_FIELD_NAMES]
    personal = [visibility.FIELDS_BY_NAME[n].label for n in visibility.PERSONAL_FIELD_NAMES]
    return render_template("intake/privacy.html", public_fields=public, personal_fields=personal,
                           retention_years=round(retention_days() / 365, 1))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return getattr(value, "value", value)


def _row(obj, columns) -> dict[str, Any]:
    return {column: _plain(getattr(obj, column)) for column in columns}


@bp.route("/my/data.json")
@applicant_required
def my_data():
    """Everything held about the signed-in applicant and their organisations that they may read."""
    user = current_user
    organisations = db.session.scalars(sa.select(Organisation).join(Membership).where(
        Membership.user_id == user.id).order_by(Organisation.id)).all()
    proposals = db.session.scalars(sa.select(Proposal).where(access.applicant_proposals_clause(user))
                                   .order_by(Proposal.id)).all()
    document = {
        "generated_at": _plain(datetime.now().astimezone()),
        "user": {"email": user.email, "name": user.name, "locale": user.locale, "created_at": _plain(user.created_at),
                 "last_login_at": _plain(user.last_login_at), "notification_settings": user.notification_settings},
        "organisations": [_row(o, ORGANISATION_COLUMNS) for o in organisations],
        "proposals": [_proposal(p) for p in proposals],
    }
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "private, no-store"
    current_app.logger.info("applicant %s downloaded their data", user.id)
    return response


def _proposal(proposal: Proposal) -> dict[str, Any]:
    record = _row(proposal, PROPOSAL_COLUMNS)
    record["themes"], record["wards"] = proposal.theme_codes, proposal.ward_codes
    messages = db.session.scalars(sa.select(Message).where(Message.proposal_id == proposal.id)
                                  .order_by(Message.id)).all()
    record["messages"] = [{"created_at": _plain(m.created_at), "from_city": m.department_id is not None, "body": m.body}
                          for m in messages if visibility.may_read(visibility.message_audience(m), Reader.APPLICANT)]
    events = db.session.scalars(sa.select(Event).where(Event.proposal_id == proposal.id, Event.public)
                                .order_by(Event.id)).all()
    # The timeline as the declaration lets the applicant read it.
    record["timeline"] = [{"created_at": _plain(e.created_at), "kind": e.kind, "to_state": e.to_state,
                           "comment": visibility.comment_for(e, Reader.APPLICANT),
                           "data": visibility.data_for(e, Reader.APPLICANT)} for e in events]
    record["attachments"] = [{"filename": a.filename, "size_bytes": a.size_bytes, "created_at": _plain(a.created_at)}
                             for a in db.session.scalars(sa.select(Attachment).where(
                                 Attachment.proposal_id == proposal.id).order_by(Attachment.id))]
    return record
