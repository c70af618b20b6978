"""Statistics and open data, for everyone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template, request
from flask_babel import get_locale

from core.extensions import db
from proposals.models import Proposal
from public import exports, queries, statistics
from public.forms import ORGANISATION_KIND_LABELS
from public.views import bp

# --- statistics -------------------------------------------------------------------------------

def _fy_arg() -> int | None:
    raw = queries.normalise_query(request.args.get("fy"))
    return int(raw) if raw.isdigit() and 1990 < int(raw) < 2200 else None


@bp.route("/stats")
def stats():
    fy = _fy_arg()
    return render_template(
        "public/stats.html", fy=fy, years=statistics.cached("years_list", None, queries.fiscal_years),
        totals=statistics.cached("totals", fy, lambda: statistics.totals(fy)),
        by_year=statistics.cached("years", None, statistics.by_fiscal_year),
        by_ward=statistics.cached("wards", fy, lambda: statistics.by_ward(fy)),
        by_theme=statistics.cached("themes", fy, lambda: statistics.by_theme(fy)),
        by_kind=statistics.cached("kinds", fy, lambda: statistics.by_organisation_kind(fy)),
        by_department=statistics.cached("departments", fy, lambda: statistics.by_department(fy)),
    )


def _stats_table(name: str, fy: int | None, locale: str) -> tuple[list[str], list[list]]:
    def dept_name(dept):
        return dept.name(locale) if dept is not None else ("City-wide" if locale == "en" else "全市")

    counts = ["proposals", "adopted", "not_adopted", "adoption_rate_percent"]
    if name == "years":
        return ["fiscal_year", *counts], [
            [r["fiscal_year"], r["proposals"], r["adopted"], r["not_adopted"], r["adoption_rate"]]
            for r in statistics.cached("years", None, statistics.by_fiscal_year)]
    if name == "wards":
        return ["ward_code", "ward", *counts], [
            [r["code"], dept_name(r["department"]), r["proposals"], r["adopted"], r["not_adopted"], r["adoption_rate"]]
            for r in statistics.cached("wards", fy, lambda: statistics.by_ward(fy))]
    if name == "themes":
        return ["theme_code", "theme", *counts], [
            [r["code"], r["theme"].name(locale), r["proposals"], r["adopted"], r["not_adopted"], r["adoption_rate"]]
            for r in statistics.cached("themes", fy, lambda: statistics.by_theme(fy))]
    if name == "kinds":
        return ["organisation_kind", "label", *counts], [
            [r["code"], str(ORGANISATION_KIND_LABELS[r["code"]]), r["proposals"], r["adopted"], r["not_adopted"],
             r["adoption_rate"]] for r in statistics.cached("kinds", fy, lambda: statistics.by_organisation_kind(fy))]
    if name == "departments":
        return ["department_code", "department", "acknowledged", "ack_median_days", "ack_p90_days", "answered",
                "answer_median_days", "answer_p90_days", "answered_with_deadline", "answered_on_time",
                "on_time_percent"], [
            [r["code"], dept_name(r["department"]), r["ack_n"], r["ack_median"], r["ack_p90"], r["answer_n"],
             r["answer_median"], r["answer_p90"], r["answered_with_deadline"], r["on_time"], r["on_time_rate"]]
            for r in statistics.cached("departments", fy, lambda: statistics.by_department(fy))]
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
    body = statistics.cached("open-data-csv", None, lambda: "".join(exports.csv_lines(exports.published_records())))
    return Response(body, mimetype="text/csv", headers=_open_data_headers("csv"))


@bp.route("/open-data/proposals.json")
def open_data_json():
    body = statistics.cached("open-data-json", None, lambda: json.dumps(
        exports.json_document(exports.published_records()), ensure_ascii=False, indent=1))
    return Response(body, mimetype="application/json", headers=_open_data_headers("json"))
