"""The public record of a published proposal: the one whitelist of fields
that the catalogue, the CSV and the JSON open data show. Personal data
(contact name, email and phone, the organisation's representative, address
and phone, applicants' and staff members' names and emails) is never read
here, so it cannot leak into a public page or an export.

docs/open-data.md documents this schema; a test keeps the two in step.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from flask import current_app

from core.calendar import to_local
from core.extensions import db
from core.models import Department, Organisation, Theme
from proposals.lifecycle import public_state
from proposals.models import Proposal, ProposalTheme, ProposalWard, State
from proposals.visibility import public_record_view
from public.models import Evaluation
from public.queries import published

SCHEMA_VERSION = 1

# (field, description) in the order of the CSV columns; docs/open-data.md lists the same.
FIELDS: list[tuple[str, str]] = [
    ("reference", "受付番号 (e.g. KW-2026-000123); stable identifier"),
    ("url", "page of the proposal in the public catalogue"),
    ("fiscal_year", "fiscal year of submission (April-March)"),
    ("submitted_on", "date of submission (Asia/Tokyo), YYYY-MM-DD"),
    ("status", "public status code: received, under_review, waiting_for_you, adopted, not_adopted, in_progress, completed, withdrawn, merged"),
    ("title", "title"),
    ("summary", "summary (up to 400 characters)"),
    ("issue", "the local issue and its background"),
    ("activities", "what the organisation proposes to do"),
    ("outcomes", "expected outcomes and how they are measured"),
    ("themes", "theme codes (themes.yaml); CSV: separated by ';'"),
    ("wards", "ward codes where the activity takes place; empty for city-wide; CSV: ';'"),
    ("scope", "ward, multi_ward, citywide or undecided"),
    ("stage", "seed (pioneering) or established"),
    ("organisation_name", "name of the proposing organisation"),
    ("organisation_kind", "npo_corp, civic_group, company, neighborhood_assoc, university, school, social_welfare_council, intermediary, other"),
    ("support_requested", "support asked of the city; CSV: ';'"),
    ("partners_wanted", "kinds of partner the organisation seeks; CSV: ';'"),
    ("budget_total_yen", "total budget in yen"),
    ("budget_requested_yen", "amount requested from the city in yen"),
    ("period_start", "planned start, YYYY-MM-DD"),
    ("period_end", "planned end, YYYY-MM-DD"),
    ("exit_strategy", "exit strategy (出口戦略): policy, business, national, time_limited, undecided"),
    ("exit_note", "how the work continues after city support ends"),
    ("lead_department", "code of the lead department (departments.yaml)"),
    ("lead_department_name", "name of the lead department (Japanese)"),
    ("decided_on", "date of the decision (adopted / not adopted), YYYY-MM-DD"),
    ("decision_reason", "the department's reason for the decision"),
    ("evaluation_implementation_start", "evaluation: implementation start, YYYY-MM-DD"),
    ("evaluation_implementation_end", "evaluation: implementation end, YYYY-MM-DD"),
    ("evaluation_indicators", "evaluation: outcome indicators, list of {name, target, actual}; CSV: JSON text"),
    ("evaluation_exit_reached", "evaluation: reached, not_reached or undecided"),
    ("evaluation_exit_note", "evaluation: note on the exit strategy"),
    ("evaluation_review_decision", "three-year review: continue, commission (hand over to a commission) or end"),
    ("evaluation_reviewed_on", "date of the three-year review, YYYY-MM-DD"),
    ("evaluation_summary", "evaluation summary"),
]
FIELD_NAMES = [name for name, _ in FIELDS]
# An evaluation is public once it is final: the lead department (or the window) confirmed it and the
# proposal moved to `evaluated`. Before that it is a draft that staff may still change.
EVALUATION_PUBLIC_STATES = frozenset({State.EVALUATED})
LIST_FIELDS = {"themes", "wards", "support_requested", "partners_wanted"}


def _day(value) -> str | None:
    if value is None:
        return None
    if hasattr(value, "hour"):
        value = to_local(value).date()
    return value.isoformat()


def _enum(value) -> str | None:
    return str(value.value if hasattr(value, "value") else value) if value is not None else None


def _records(condition, *, after_id: int = 0, limit: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Public records of the proposals matching `condition`, read with plain
    column selects (no ORM objects), in id order. The only place that
    decides which columns are public."""
    lead = sa.orm.aliased(Department)
    query = (
        sa.select(
            Proposal.id, Proposal.reference, Proposal.fiscal_year, Proposal.submitted_at, Proposal.state,
            Proposal.title, Proposal.summary, Proposal.issue, Proposal.activities, Proposal.outcomes,
            Proposal.scope, Proposal.stage, Proposal.support_requested, Proposal.partners_wanted,
            Proposal.budget_total_yen, Proposal.budget_requested_yen, Proposal.period_start, Proposal.period_end,
            Proposal.exit_strategy, Proposal.exit_note, Proposal.decided_at, Proposal.decision_reason,
            Proposal.consent_version, Organisation.name.label("organisation_name"), Organisation.kind.label("organisation_kind"),
            lead.code.label("lead_code"), lead.name_ja.label("lead_name"),
        )
        .outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
        .outerjoin(lead, lead.id == Proposal.lead_department_id)
        .where(condition, Proposal.id > after_id)
        .order_by(Proposal.id)
    )
    if limit:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    themes: dict[int, list[str]] = {}
    for proposal_id, code in db.session.execute(
        sa.select(ProposalTheme.proposal_id, Theme.code).join(Theme, Theme.id == ProposalTheme.theme_id)
        .where(ProposalTheme.proposal_id.in_(ids)).order_by(ProposalTheme.proposal_id, ProposalTheme.position)
    ):
        themes.setdefault(proposal_id, []).append(code)
    wards: dict[int, list[str]] = {}
    for proposal_id, code in db.session.execute(
        sa.select(ProposalWard.proposal_id, Department.code).join(Department, Department.id == ProposalWard.ward_id)
        .where(ProposalWard.proposal_id.in_(ids)).order_by(ProposalWard.proposal_id, Department.id)
    ):
        wards.setdefault(proposal_id, []).append(code)
    evaluations = {
        row.proposal_id: row for row in db.session.execute(
            sa.select(Evaluation.proposal_id, Evaluation.implementation_start, Evaluation.implementation_end,
                      Evaluation.indicators, Evaluation.exit_reached, Evaluation.exit_note,
                      Evaluation.review_decision, Evaluation.reviewed_on, Evaluation.summary)
            .where(Evaluation.proposal_id.in_([row.id for row in rows if row.state in EVALUATION_PUBLIC_STATES]))
        )
    }
    base_url = current_app.config["BASE_URL"]
    return [(row.id, _record(row, themes.get(row.id, []), wards.get(row.id, []), evaluations.get(row.id), base_url))
            for row in rows]


def _record(row, themes: list[str], wards: list[str], evaluation, base_url: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "reference": row.reference,
        "url": f"{base_url}/catalogue/{row.reference}",
        "fiscal_year": row.fiscal_year,
        "submitted_on": _day(row.submitted_at),
        "status": public_state(row.state).value,
        "title": row.title,
        "summary": row.summary,
        "issue": row.issue,
        "activities": row.activities,
        "outcomes": row.outcomes,
        "themes": themes,
        "wards": wards,
        "scope": _enum(row.scope),
        "stage": _enum(row.stage),
        "organisation_name": row.organisation_name,
        "organisation_kind": _enum(row.organisation_kind),
        "support_requested": list(row.support_requested or []),
        "partners_wanted": list(row.partners_wanted or []),
        "budget_total_yen": row.budget_total_yen,
        "budget_requested_yen": row.budget_requested_yen,
        "period_start": _day(row.period_start),
        "period_end": _day(row.period_end),
        "exit_strategy": _enum(row.exit_strategy),
        "exit_note": row.exit_note,
        "lead_department": row.lead_code,
        "lead_department_name": row.lead_name,
        "decided_on": _day(row.decided_at),
        "decision_reason": row.decision_reason,
        "evaluation_implementation_start": _day(evaluation.implementation_start) if evaluation else None,
        "evaluation_implementation_end": _day(evaluation.implementation_end) if evaluation else None,
        "evaluation_indicators": [
            {"name": i.get("name", ""), "target": i.get("target", ""), "actual": i.get("actual", "")}
            for i in (evaluation.indicators or [])
        ] if evaluation else [],
        "evaluation_exit_reached": _enum(evaluation.exit_reached) if evaluation else None,
        "evaluation_exit_note": evaluation.exit_note if evaluation else None,
        "evaluation_review_decision": _enum(evaluation.review_decision) if evaluation else None,
        "evaluation_reviewed_on": _day(evaluation.reviewed_on) if evaluation else None,
        "evaluation_summary": evaluation.summary if evaluation else None,
    }
    # Only the columns the applicant's consent named (proposals.visibility).
    return public_record_view(record, row.consent_version)


def public_record(proposal: Proposal) -> dict[str, Any]:
    """The public record of one (published) proposal, for its catalogue page."""
    return _records(Proposal.id == proposal.id)[0][1]


def evaluation_of(proposal_id: int) -> Evaluation | None:
    return db.session.scalar(sa.select(Evaluation).where(Evaluation.proposal_id == proposal_id))


def published_records(batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every published proposal as a public record, oldest first, read in batches."""
    last_id = 0
    while True:
        records = _records(published(), after_id=last_id, limit=batch)
        if not records:
            return
        for _, record in records:
            yield record
        last_id = records[-1][0]


# A spreadsheet program reads a cell starting with one of these as a formula
# (=HYPERLINK(...) in an organisation name would run on the reader's
# machine). OWASP "CSV injection": such text cells get a leading apostrophe.
# The full-width forms too: Japanese spreadsheet programs may convert them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that cannot run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_value(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name in LIST_FIELDS:
        return spreadsheet_safe(";".join(value))
    if name == "evaluation_indicators":
        return json.dumps(value, ensure_ascii=False) if value else ""
    return spreadsheet_safe(value)


def csv_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV (UTF-8 with BOM, so spreadsheet programs read Japanese) one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELD_NAMES)
    yield "\ufeff" + buffer.getvalue()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_value(name, record[name]) for name in FIELD_NAMES])
        yield buffer.getvalue()


def json_document(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    config = current_app.config
    return {
        "schema_version": SCHEMA_VERSION,
        "schema": f"{config['BASE_URL']}/open-data#schema",
        "licence": config["OPEN_DATA_LICENCE"],
        "publisher": config["CITY_NAME_EN"],
        "proposals": list(records),
    }


def table_csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else spreadsheet_safe(v) for v in row])
    return "\ufeff" + buffer.getvalue()
