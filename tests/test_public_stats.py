"""Statistics against a small data set whose figures are known by hand."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import department_id
from public_helpers import place

from core.extensions import db
from proposals.models import Assignment, AssignmentRole, AssignmentStatus
from public import statistics

T0 = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def known(make_proposal):
    p1 = place(make_proposal, "adopted", fy=2024, wards=("ward-asao",), themes=("disaster",),
               kind="neighborhood_assoc", published=False)
    p2 = place(make_proposal, "not_adopted", fy=2024, wards=("ward-asao",), themes=("disaster", "community"),
               kind="npo_corp")
    p3 = place(make_proposal, "in_progress", fy=2025, wards=("ward-kawasaki", "ward-saiwai"), scope="multi_ward",
               themes=("multicultural",), kind="company")
    p4 = place(make_proposal, "triage", fy=2025, wards=(), scope="citywide", themes=("digital",), kind="company",
               lead="somu-kikaku", published=False)
    place(make_proposal, "draft", wards=("ward-asao",), themes=("disaster",), published=False)
    p6 = place(make_proposal, "evaluated", fy=2025, wards=("ward-kawasaki",), themes=("multicultural",),
               kind="npo_corp", consent_publish=False, published=False)
    asao = department_id("ward-asao")
    for proposal, ack_days in zip([p1, p2, p3, p4, p6], [1, 2, 3, 4, 10], strict=True):
        db.session.add(Assignment(proposal_id=proposal.id, department_id=asao, role=AssignmentRole.LEAD,
                                  status=AssignmentStatus.CLOSED, assigned_at=T0,
                                  acknowledged_at=T0 + timedelta(days=ack_days)))
    db.session.flush()
    first, second = (db.session.scalars(db.select(Assignment).where(Assignment.proposal_id == p.id)).one()
                     for p in (p1, p2))
    first.answered_at, first.answer_due_on = T0 + timedelta(days=10), date(2026, 5, 15)  # on time
    # 16:00 UTC on the due date is 01:00 the next day in Tokyo: late.
    second.answered_at, second.answer_due_on = datetime(2026, 5, 15, 16, 0, tzinfo=UTC), date(2026, 5, 15)
    db.session.commit()
    return {"p1": p1, "p3": p3}


def test_proposals_per_fiscal_year_and_adoption_rate(known):
    rows = {r["fiscal_year"]: r for r in statistics.by_fiscal_year()}
    assert set(rows) == {2024, 2025}  # the draft is not counted
    assert (rows[2024]["proposals"], rows[2024]["adopted"], rows[2024]["not_adopted"], rows[2024]["adoption_rate"]) == (2, 1, 1, 50.0)
    assert (rows[2025]["proposals"], rows[2025]["adopted"], rows[2025]["not_adopted"], rows[2025]["adoption_rate"]) == (3, 2, 0, 100.0)
    totals = statistics.totals()
    assert (totals["proposals"], totals["adopted"], totals["decided"], totals["adoption_rate"]) == (5, 3, 4, 75.0)


def test_per_ward_theme_and_kind(known):
    wards = {r["code"]: (r["proposals"], r["adopted"]) for r in statistics.by_ward()}
    assert wards["ward-asao"] == (2, 1)
    assert wards["ward-kawasaki"] == (2, 2)
    assert wards["ward-saiwai"] == (1, 1)
    assert wards["citywide"] == (1, 0)
    assert wards["ward-tama"] == (0, 0)
    assert len(wards) == 8
    assert {r["code"]: r["proposals"] for r in statistics.by_ward(2024)}["ward-kawasaki"] == 0
    themes = {r["code"]: r["proposals"] for r in statistics.by_theme()}
    assert (themes["disaster"], themes["community"], themes["multicultural"], themes["digital"], themes["sports"]) == (2, 1, 2, 1, 0)
    kinds = {r["code"]: (r["proposals"], r["adopted"]) for r in statistics.by_organisation_kind()}
    assert kinds["neighborhood_assoc"] == (1, 1) and kinds["npo_corp"] == (2, 1) and kinds["company"] == (2, 1)
    assert kinds["university"] == (0, 0)


def test_department_percentiles_and_share_answered_in_time(known):
    """Business days (proposals.metrics): assigned on Friday 2026-05-01, a Golden Week follows
    (05-02 to 05-06 closed), so the first business day after it is Thursday 05-07."""
    rows = {r["code"]: r for r in statistics.by_department()}
    asao = rows["ward-asao"]
    # Acknowledged on 05-02, 05-03, 05-04, 05-05 (all closed: 0 business days) and 05-11 (3):
    # median 0, 90th percentile 0 + 0.6 * (3 - 0) = 1.8 (position (5 - 1) * 0.9 = 3.6).
    assert (asao["ack_n"], asao["ack_median"], asao["ack_p90"]) == (5, 0.0, 1.8)
    # Answered on 05-11 (3) and at 01:00 Tokyo on Saturday 05-16 (7): median 5, p90 3 + 0.9 * 4.
    assert (asao["answer_n"], asao["answer_median"], asao["answer_p90"]) == (2, 5.0, 6.6)
    assert (asao["answered_with_deadline"], asao["on_time"], asao["on_time_rate"]) == (2, 1, 50.0)
    fy2024 = {r["code"]: r for r in statistics.by_department(2024)}["ward-asao"]
    assert (fy2024["ack_n"], fy2024["ack_median"], fy2024["ack_p90"]) == (2, 0.0, 0.0)


def test_response_times_leave_out_the_time_waiting_for_the_applicant(make_proposal):
    proposal = place(make_proposal, "adopted", fy=2025, wards=("ward-tama",), themes=("disaster",))
    # Answered on 05-15 (7 business days after 05-01), 6 days of which the department waited for the
    # applicant: the end moves back to Saturday 05-09, 2 business days (05-07, 05-08).
    db.session.add(Assignment(proposal_id=proposal.id, department_id=department_id("ward-tama"),
                              role=AssignmentRole.LEAD, status=AssignmentStatus.CLOSED, assigned_at=T0,
                              acknowledged_at=T0 + timedelta(days=6), answered_at=T0 + timedelta(days=14),
                              answer_paused_seconds=6 * 86400))
    db.session.commit()
    tama = {r["code"]: r for r in statistics.by_department()}["ward-tama"]
    assert (tama["ack_median"], tama["answer_median"]) == (1.0, 2.0)


def test_a_co_departments_opinion_is_not_an_answer(make_proposal):
    """Acknowledgements count for every assigned department, answers for the lead only."""
    proposal = place(make_proposal, "adopted", fy=2025, wards=("ward-tama",), themes=("disaster",))
    for role, acked_after, answered_after in ((AssignmentRole.LEAD, 6, 13), (AssignmentRole.CO, 7, 8)):
        db.session.add(Assignment(proposal_id=proposal.id, department_id=department_id("ward-tama"), role=role,
                                  status=AssignmentStatus.CLOSED, assigned_at=T0,
                                  acknowledged_at=T0 + timedelta(days=acked_after),
                                  answered_at=T0 + timedelta(days=answered_after)))
    db.session.commit()
    tama = {r["code"]: r for r in statistics.by_department()}["ward-tama"]
    # Acknowledged on 05-07 (1) and 05-08 (2); answered by the lead on 05-14 (6), the co-department's
    # opinion on 05-09 is left out.
    assert (tama["ack_n"], tama["ack_median"], tama["ack_p90"]) == (2, 1.5, 1.9)
    assert (tama["answer_n"], tama["answer_median"], tama["answer_p90"]) == (1, 6.0, 6.0)


def _csv(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_pages_and_csv_downloads_show_the_same_figures(client, known):
    page = client.get("/stats").get_data(as_text=True)
    assert 'data-figure="proposals">5<' in page and 'data-figure="adoption-rate">75.0%<' in page
    assert "vendor/chartjs/chart.umd.min.js" in page  # served by the app, no CDN
    # Each script once, in <head> (not again inside the content, which drew every chart twice).
    head, _, body = page.partition("</head>")
    assert head.count("chart.umd.min.js") == 1 and head.count("js/rooms/public.js") == 1
    assert "chart.umd.min.js" not in body and "js/rooms/public.js" not in body
    # The table is beside the chart on a wide screen but below it on a phone: no "right".
    assert "（数値は表を参照）" in page and "右の表" not in page
    assert "cdn" not in page.lower()
    years = _csv(client, "/stats/years.csv")
    assert years[0] == ["fiscal_year", "proposals", "adopted", "not_adopted", "adoption_rate_percent"]
    assert years[1:] == [["2024", "2", "1", "1", "50.0"], ["2025", "3", "2", "0", "100.0"]]
    wards = _csv(client, "/stats/wards.csv")
    assert ["ward-asao", "麻生区", "2", "1", "1", "50.0"] in wards
    assert ["citywide", "全市", "1", "0", "0", ""] in wards
    assert ["ward-asao", "麻生区", "2", "1", "1", "50.0"] in _csv(client, "/stats/wards.csv?fy=2024")
    departments = _csv(client, "/stats/departments.csv")
    assert ["ward-asao", "麻生区役所", "5", "0.0", "1.8", "2", "5.0", "6.6", "2", "1", "50.0"] in departments
    assert ["disaster", "防災・減災", "2", "1", "1", "50.0"] in _csv(client, "/stats/themes.csv")
    assert ["company", "企業", "2", "1", "0", "100.0"] in _csv(client, "/stats/kinds.csv")
    assert client.get("/stats/nothing.csv").status_code == 404
    assert client.get("/stats?fy=abc").status_code == 200


def test_vendored_chart_library_and_its_licence_are_served(client):
    script = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert script.status_code == 200 and b"Chart.js v4" in script.data[:200]
    script.close()
    licence = client.get("/static/vendor/chartjs/LICENSE.md")
    assert b"MIT" in licence.data or b"Permission is hereby granted" in licence.data
    licence.close()


def test_the_figures_are_kept_in_a_summary_table_and_refreshed_by_the_beat(app, known, make_proposal):
    """Outside tests the page reads stats_snapshots: a visitor's request does
    not recount, the beat's refresh does (and a Named survives the JSON)."""
    app.config["PUBLIC_STATS_CACHE_SECONDS"] = 300
    counted = []

    def count():
        counted.append(1)
        return statistics.totals()

    first = statistics.cached("totals", None, count)
    app.extensions["public_stats_cache"].clear()  # another worker, or this one after its copy expired
    assert statistics.cached("totals", None, count) == first and len(counted) == 1  # read, not recounted
    departments = statistics.cached("departments", None, lambda: statistics.by_department(None))
    app.extensions["public_stats_cache"].clear()
    again = statistics.cached("departments", None, lambda: pytest.fail("recounted"))
    assert again == departments and again[0]["department"].name("en")

    place(make_proposal, "adopted", fy=2025, wards=("ward-asao",), themes=("disaster",), kind="npo_corp")
    app.extensions["public_stats_cache"].clear()
    assert statistics.cached("totals", None, count)["proposals"] == first["proposals"]  # until the refresh
    from public.tasks import refresh_stats

    refresh_stats.run()
    app.extensions["public_stats_cache"].clear()
    assert statistics.cached("totals", None, count)["proposals"] == first["proposals"] + 1
    assert "stats-refresh" in app.extensions["celery"].conf.beat_schedule
