"""A read-only Open311 GeoReport v2 feed of the published proposals, so
existing civic-tech tools can read them: services are the themes, a request
is a published proposal (its reference is the service_request_id), status
open or closed, the wards as the address. Only what the public catalogue
shows is read (public.queries.published); no personal data."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request

from core.extensions import db, limiter
from core.models import Department, Theme
from proposals.lifecycle import PUBLIC_STATE_LABELS, PUBLIC_STATE_OF, PublicState, public_state
from proposals.models import Proposal, ProposalTheme, ProposalWard, Scope
from public.queries import published

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
limiter.limit(lambda: current_app.config.get("OPEN311_RATE_LIMIT", "120 per minute"))(bp)
TOKYO = ZoneInfo("Asia/Tokyo")
MAX_REQUESTS = 1000
UNSPECIFIED = "unspecified"  # the service of a proposal without a theme
CLOSED = frozenset({PublicState.NOT_ADOPTED, PublicState.COMPLETED, PublicState.WITHDRAWN, PublicState.MERGED})


def _error(code: int, description: str):
    return jsonify([{"code": code, "description": description}]), code


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(TOKYO).isoformat(timespec="seconds") if moment else None


@bp.route("/services.json")
def services():
    themes = db.session.scalars(sa.select(Theme).where(Theme.active).order_by(Theme.position, Theme.id)).all()
    rows = [{"service_code": t.code, "service_name": t.name_ja, "description": t.name_en, "metadata": False,
             "type": "batch", "keywords": "協働提案, collaboration proposal", "group": "協働・連携の窓口"}
            for t in themes]
    rows.append({"service_code": UNSPECIFIED, "service_name": "分野未選択", "description": "No theme chosen",
                 "metadata": False, "type": "batch", "keywords": "協働提案", "group": "協働・連携の窓口"})
    return jsonify(rows)


def _parse_day(name: str) -> datetime | None | str:
    value = request.args.get(name)
    if not value:
        return None
    try:
        if "T" in value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=TOKYO)
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=TOKYO)
    except ValueError:
        return "invalid"


def _records(condition, limit: int) -> list[dict]:
    lead = sa.orm.aliased(Department)
    rows = db.session.execute(
        sa.select(Proposal.id, Proposal.reference, Proposal.title, Proposal.summary, Proposal.state, Proposal.scope,
                  Proposal.submitted_at, Proposal.updated_at, lead.name_ja.label("lead_name"))
        .outerjoin(lead, lead.id == Proposal.lead_department_id)
        .where(published(), condition).order_by(Proposal.submitted_at.desc(), Proposal.id.desc()).limit(limit)
    ).all()
    ids = [row.id for row in rows]
    themes: dict[int, list[Theme]] = {}
    for proposal_id, theme in db.session.execute(
            sa.select(ProposalTheme.proposal_id, Theme).join(Theme, Theme.id == ProposalTheme.theme_id)
            .where(ProposalTheme.proposal_id.in_(ids)).order_by(ProposalTheme.position)):
        themes.setdefault(proposal_id, []).append(theme)
    wards: dict[int, list[str]] = {}
    for proposal_id, ward in db.session.execute(
            sa.select(ProposalWard.proposal_id, Department).join(Department, Department.id == ProposalWard.ward_id)
            .where(ProposalWard.proposal_id.in_(ids)).order_by(Department.id)):
        wards.setdefault(proposal_id, []).append(ward.area_name("ja"))
    city = current_app.config["CITY_NAME_JA"]
    base = current_app.config["BASE_URL"]
    out = []
    for row in rows:
        shown = public_state(row.state)
        picked = themes.get(row.id, [])
        places = wards.get(row.id) or []
        address = "、".join(f"{city}{ward}" for ward in places) if places else (
            f"{city}全域" if row.scope == Scope.CITYWIDE else city)
        out.append({
            "service_request_id": row.reference,
            "status": "closed" if shown in CLOSED else "open",
            "status_notes": str(PUBLIC_STATE_LABELS[shown]),
            "service_name": picked[0].name_ja if picked else "分野未選択",
            "service_code": picked[0].code if picked else UNSPECIFIED,
            "description": f"{row.title}\n{row.summary}".strip(),
            "agency_responsible": row.lead_name,
            "service_notice": f"{base}/catalogue/{row.reference}",
            "requested_datetime": _iso(row.submitted_at),
            "updated_datetime": _iso(row.updated_at),
            "expected_datetime": None,
            "address": address,
            "address_id": None,
            "zipcode": None,
            "lat": None,
            "long": None,
            "media_url": None,
        })
    return out


@bp.route("/requests.json")
def requests_():
    conditions = []
    ids = [i.strip() for i in (request.args.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        conditions.append(Proposal.reference.in_(ids[:100]))
    code = request.args.get("service_code")
    if code == UNSPECIFIED:
        conditions.append(~sa.exists().where(ProposalTheme.proposal_id == Proposal.id))
    elif code:
        conditions.append(Proposal.id.in_(sa.select(ProposalTheme.proposal_id).join(Theme).where(Theme.code == code)))
    start, end = _parse_day("start_date"), _parse_day("end_date")
    if "invalid" in (start, end):
        return _error(400, "start_date and end_date are W3C dates, e.g. 2026-04-01 or 2026-04-01T00:00:00+09:00")
    if start:
        conditions.append(Proposal.submitted_at >= start)
    if end:
        conditions.append(Proposal.submitted_at <= end)
    status = request.args.get("status")
    if status not in (None, "", "open", "closed"):
        return _error(400, "status is open or closed")
    if status:
        closed = Proposal.state.in_([state for state, shown in PUBLIC_STATE_OF.items() if shown in CLOSED])
        conditions.append(closed if status == "closed" else ~closed)
    return jsonify(_records(sa.and_(sa.true(), *conditions), MAX_REQUESTS))


@bp.route("/requests/<reference>.json")
def request_one(reference: str):
    records = _records(Proposal.reference == reference[:40], 1)
    if not records:
        return _error(404, f"no published proposal {reference[:40]}")
    return jsonify(records)


@bp.route("/discovery.json")
def discovery():
    base = current_app.config["BASE_URL"]
    return jsonify({"changeset": "2026-12-03T00:00:00+09:00", "contact": current_app.config["CITY_NAME_JA"],
                    "key_service": "", "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2",
                                                      "url": f"{base}/open311/v2", "changeset": "2026-12-03T00:00:00+09:00",
                                                      "type": "production", "formats": ["application/json"]}]})
