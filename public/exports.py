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
from flask_babel import lazy_gettext as _l

from core.calendar import to_local
from core.extensions import db
from core.models import Department, Organisation, Theme
from proposals.lifecycle import public_state
from proposals.models import Proposal, ProposalTheme, ProposalWard, State
from proposals.visibility import public_record_view
from public.models import Evaluation
from public.queries import published

SCHEMA_VERSION = 1

# (field, description, codes the field takes) in the order of the CSV columns; docs/open-data.md
# lists the same. Descriptions are read in the reader's language; the codes are data, shown as code.
FIELDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("reference", _l("受付番号（例: KW-2026-000123）。変わらない識別子"), ()),
    ("url", _l("公開カタログでの提案のページ"), ()),
    ("fiscal_year", _l("提出した年度（4月〜3月）"), ()),
    ("submitted_on", _l("提出日（日本時間）、YYYY-MM-DD"), ()),
    ("status", _l("公開上の状態のコード"), ("received", "under_review", "waiting_for_you", "adopted", "not_adopted",
                                          "in_progress", "completed", "withdrawn", "merged")),
    ("title", _l("件名"), ()),
    ("summary", _l("概要（400字以内）"), ()),
    ("issue", _l("地域の課題と背景"), ()),
    ("activities", _l("団体が行う取組"), ()),
    ("outcomes", _l("期待する成果とその測り方"), ()),
    ("themes", _l("テーマのコード（themes.yaml）。CSVでは「;」区切り"), ()),
    ("wards", _l("活動する区のコード。市全域は空。CSVでは「;」区切り"), ()),
    ("scope", _l("活動範囲"), ("ward", "multi_ward", "citywide", "undecided")),
    ("stage", _l("段階（萌芽的な提案・実績のある取組）"), ("seed", "established")),
    ("organisation_name", _l("提案した団体の名称"), ()),
    ("organisation_kind", _l("団体の種類"), ("npo_corp", "civic_group", "company", "neighborhood_assoc", "university",
                                          "school", "social_welfare_council", "intermediary", "other")),
    ("support_requested", _l("市に求める支援。CSVでは「;」区切り"), ()),
    ("partners_wanted", _l("団体が求める連携先の種類。CSVでは「;」区切り"), ()),
    ("budget_total_yen", _l("総事業費（円）"), ()),
    ("budget_requested_yen", _l("市に求める額（円）"), ()),
    ("period_start", _l("開始予定日、YYYY-MM-DD"), ()),
    ("period_end", _l("終了予定日、YYYY-MM-DD"), ()),
    ("exit_strategy", _l("出口戦略"), ("policy", "business", "national", "time_limited", "undecided")),
    ("exit_note", _l("市の支援が終わった後の続け方"), ()),
    ("lead_department", _l("主担当部署のコード（departments.yaml）"), ()),
    ("lead_department_name", _l("主担当部署の名称（日本語）"), ()),
    ("decided_on", _l("決定日（採択・不採択）、YYYY-MM-DD"), ()),
    ("decision_reason", _l("部署が示した決定の理由"), ()),
    ("evaluation_implementation_start", _l("評価: 実施の開始日、YYYY-MM-DD"), ()),
    ("evaluation_implementation_end", _l("評価: 実施の終了日、YYYY-MM-DD"), ()),
    ("evaluation_indicators", _l("評価: 成果指標の一覧 {name, target, actual}。CSVではJSONの文字列"), ()),
    ("evaluation_exit_reached", _l("評価: 出口戦略に届いたか"), ("reached", "not_reached", "undecided")),
    ("evaluation_exit_note", _l("評価: 出口戦略についての所見"), ()),
    ("evaluation_review_decision", _l("3年目の見直し: 継続・委託（委員会へ引継ぎ）・終了"), ("continue", "commission", "end")),
    ("evaluation_reviewed_on", _l("3年目の見直しの日付、YYYY-MM-DD"), ()),
    ("evaluation_summary", _l("評価のまとめ"), ()),
]
FIELD_NAMES = [name for name, *_ in FIELDS]
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
