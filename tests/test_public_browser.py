"""In Chromium: a member of the public finds an adopted proposal from
another ward in the catalogue and sees it in the statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import department_id, screenshot
from public_helpers import place

from core.extensions import db
from proposals.models import Assignment, AssignmentRole, AssignmentStatus
from public.models import Evaluation, ExitReached, ReviewDecision

pytestmark = pytest.mark.browser


@pytest.fixture
def catalogue_data(make_proposal):
    adopted = place(make_proposal, "in_progress", title="麻生区の里山保全と子どもの環境学習", wards=("ward-asao",),
                    themes=("parks-greenery", "environment"), fy=2025, kind="civic_group", lead="ward-asao",
                    summary="里山の手入れを親子で学び、地域の緑を守る担い手を育てます。",
                    partners_wanted=["university"])
    db.session.add(Evaluation(proposal_id=adopted.id, implementation_start=date(2025, 6, 1),
                              indicators=[{"name": "参加した親子", "target": "120組", "actual": "148組"}],
                              exit_reached=ExitReached.UNDECIDED, review_decision=ReviewDecision.CONTINUE,
                              reviewed_on=date(2026, 3, 20), summary="参加者が増え、担い手の会が発足しました。"))
    assigned = datetime(2025, 5, 7, 1, 0, tzinfo=UTC)
    db.session.add(Assignment(proposal_id=adopted.id, department_id=department_id("ward-asao"),
                              role=AssignmentRole.LEAD, status=AssignmentStatus.CLOSED, assigned_at=assigned,
                              acknowledged_at=assigned + timedelta(days=2), answered_at=assigned + timedelta(days=18),
                              answer_due_on=date(2025, 6, 4)))
    db.session.commit()
    place(make_proposal, "not_adopted", title="宮前区のスマホ相談会", wards=("ward-miyamae",), fy=2025)
    place(make_proposal, "assigned", title="麻生区の防災マップ", wards=("ward-asao",), themes=("disaster",), fy=2026)
    place(make_proposal, "adopted", title="非公開の採択案件", wards=("ward-asao",), fy=2025, published=False)
    return adopted


def test_public_finds_an_adopted_proposal_from_another_ward_and_sees_it_in_statistics(live_server, page,
                                                                                      catalogue_data):
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="公開提案").click()
    page.get_by_label("区", exact=True).select_option(label="麻生区")
    page.get_by_label("状況", exact=True).select_option(label="実施中")
    page.get_by_role("button", name="この条件で探す").click()
    page.wait_for_url("**/catalogue?**")
    assert page.get_by_role("status").inner_text().startswith("1件")
    screenshot(page, "public-01-catalogue-filtered")
    assert page.get_by_text("麻生区の防災マップ").count() == 0
    assert page.get_by_text("非公開の採択案件").count() == 0

    page.get_by_role("link", name="麻生区の里山保全と子どもの環境学習").click()
    page.wait_for_url(f"**/catalogue/{catalogue_data.reference}")
    outcome = page.get_by_role("region", name="結果")
    assert "採択" in outcome.inner_text() and "区の計画と一致する" in outcome.inner_text()
    evaluation = page.get_by_role("region", name="評価・検証")
    assert "148組" in evaluation.inner_text() and "継続する" in evaluation.inner_text()
    assert catalogue_data.contact_email not in page.content()
    screenshot(page, "public-02-proposal")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="統計").click()
    page.get_by_label("年度", exact=True).select_option(label="2025年度")
    page.get_by_role("button", name="表示する").click()
    page.wait_for_url("**/stats?fy=2025")
    asao = page.locator("#table-wards tr[data-code='ward-asao']")
    cells = asao.locator("td").all_inner_texts()
    assert cells[:2] == ["2", "2"]  # both FY2025 Asao proposals were adopted (one of them unpublished)
    assert page.locator("#table-years").inner_text().count("2025年度") == 1
    # Chart.js is served by the app and drew every chart.
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 6")
    assert page.evaluate("() => document.querySelector('#chart-wards').width") > 100
    asao_times = page.locator("#table-departments tr[data-code='ward-asao'] td").all_inner_texts()
    assert asao_times[:3] == ["1", "2.0", "2.0"] and asao_times[-1].startswith("100.0%")
    screenshot(page, "public-03-stats")
    download = page.request.get(live_server.url + "/stats/wards.csv?fy=2025")
    assert "ward-asao,麻生区,2,2,0,100.0" in download.text()
