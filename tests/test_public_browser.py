"""In Chromium: a member of the public finds an adopted proposal from
another ward in the catalogue and sees it in the statistics."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import department_id, screenshot
from public_helpers import place

from core.extensions import db
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Proposal, State
from public.models import Evaluation, ExitReached, ReviewDecision

pytestmark = pytest.mark.browser


@pytest.fixture
def catalogue_data(make_proposal):
    # Evaluated: an evaluation is public once it is final.
    adopted = place(make_proposal, "evaluated", title="麻生区の里山保全と子どもの環境学習", wards=("ward-asao",),
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
    page.get_by_label("状況", exact=True).select_option(label="完了")
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
    # Loaded once (in <head>) and exactly one chart per canvas.
    assert page.locator("script[src*='chart.umd']").count() == 1
    assert page.locator("script[src*='js/rooms/public.js']").count() == 1
    assert page.locator("head script[src*='chart.umd']").count() == 1
    charts = page.evaluate("""() => {
        const canvases = [...document.querySelectorAll('canvas[data-chart]')].map(c => c.id);
        const drawn = Object.values(Chart.instances).map(chart => chart.canvas.id);
        return {canvases, drawn};
    }""")
    assert len(charts["canvases"]) >= 6
    assert sorted(charts["drawn"]) == sorted(charts["canvases"])  # one chart for each canvas, none twice
    assert page.evaluate("() => document.querySelector('#chart-wards').width") > 100
    asao_times = page.locator("#table-departments tr[data-code='ward-asao'] td").all_inner_texts()
    assert asao_times[:3] == ["1", "2.0", "2.0"] and asao_times[-1].startswith("100.0%")
    screenshot(page, "public-03-stats")
    download = page.request.get(live_server.url + "/stats/wards.csv?fy=2025")
    assert "ward-asao,麻生区,2,2,0,100.0" in download.text()


def _sign_in_staff(page, base, user, password):
    page.goto(base + "/staff/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="サインイン").click()


def test_lead_department_enters_an_evaluation_in_the_browser(live_server, page, make_user, make_proposal):
    proposal = place(make_proposal, "completed", title="宮前区の多世代交流サロン", wards=("ward-miyamae",),
                     lead="ward-miyamae")
    # The lead department's live assignment lets it confirm the evaluation (completed -> evaluated).
    db.session.add(Assignment(proposal_id=proposal.id, department_id=department_id("ward-miyamae"),
                              role=AssignmentRole.LEAD))
    db.session.commit()
    staff = make_user("department_staff", "ward-miyamae", password="eval-pass-2026")
    _sign_in_staff(page, live_server.url, staff, "eval-pass-2026")
    page.goto(live_server.url + "/evaluations")
    page.get_by_role("link", name="宮前区の多世代交流サロン").click()
    page.fill("#implementation_start", "2026-04-01")
    page.fill("#indicator_1_name", "延べ参加者数")
    page.fill("#indicator_1_target", "５００人")  # full-width digits are fine
    page.fill("#indicator_1_actual", "６２０人")
    page.get_by_label("委託へ移行する").check()
    page.get_by_role("button", name="評価を保存する").click()
    summary = page.get_by_role("alert")
    assert "検証日" in summary.inner_text() and "評価の概要" in summary.inner_text()
    assert page.locator("#indicator_1_actual").input_value() == "620人"  # kept (NFKC)
    screenshot(page, "public-04-evaluation-errors")
    summary.get_by_role("link", name=re.compile("評価の概要")).click()
    assert page.evaluate("document.activeElement.id") == "summary"
    page.fill("#summary", "参加者が目標を上回り、運営を地域の団体へ委託する準備が整いました。")
    page.fill("#reviewed_on", "2027-03-15")
    page.get_by_role("button", name="評価を保存する").click()
    assert "評価を保存しました" in page.locator(".notice-success").inner_text()
    assert "下書き" in page.content()
    screenshot(page, "public-05-evaluation-saved")
    # A draft: not on the public page yet.
    form_url = page.url
    page.goto(f"{live_server.url}/catalogue/{proposal.reference}")
    assert page.get_by_role("region", name="評価・検証").count() == 0
    assert "620人" not in page.content()
    # Confirmed: the proposal is evaluated and the evaluation is public.
    page.goto(form_url)
    page.get_by_label("評価を確定し").check()
    page.get_by_role("button", name="評価を保存する").click()
    assert "評価を保存しました" in page.locator(".notice-success").inner_text()
    assert "評価は確定済みです" in page.content()
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.EVALUATED
    page.goto(f"{live_server.url}/catalogue/{proposal.reference}")
    evaluation = page.get_by_role("region", name="評価・検証").inner_text()
    assert "620人" in evaluation and "委託へ移行する" in evaluation and "2027年3月15日" in evaluation


def test_partner_interest_and_acceptance_in_the_browser(app, live_server, browser, page, make_user, make_proposal):
    from core.auth import issue_signin_link

    seeker = make_user("applicant", email="seeker-b@example.org")
    place(make_proposal, "in_progress", applicant=seeker, title="高津区の防災キャンプ", wards=("ward-takatsu",),
          themes=("disaster",), partners_wanted=["university", "company"], contact_email="seeker-b@example.org",
          contact_name="防災 花子")
    partner = make_user("applicant", email="lab@example.ac.jp", name="研究 一郎")

    def sign_in(p, email):
        with app.test_request_context():
            token = issue_signin_link(email)
            db.session.commit()
        p.goto(f"{live_server.url}/signin/link/{token}")
        p.get_by_role("button", name="サインインする").click()

    sign_in(page, partner.email)
    page.goto(live_server.url + "/partners")
    page.get_by_label("区", exact=True).select_option(label="高津区")
    page.get_by_label("求めているパートナー").select_option(label="大学・研究機関")
    page.get_by_role("button", name="この条件で探す").click()
    screenshot(page, "public-06-partners")
    page.get_by_role("link", name=re.compile("関心を伝える")).first.click()
    assert "防災 花子" not in page.content() and "seeker-b@example.org" not in page.content()
    page.fill("#organisation_name", "たかつ工科大学 防災研究室")
    page.select_option("#organisation_kind", "university")
    page.fill("#offer", "学生と一緒に避難所の運営訓練を企画できます。")
    page.fill("#contact_name", "研究 一郎")
    screenshot(page, "public-07-interest-form")
    page.get_by_role("button", name="関心を伝える").click()
    assert "関心を伝えました" in page.locator(".notice-success").inner_text()

    seeker_context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    home = seeker_context.new_page()
    sign_in(home, seeker.email)
    home.goto(live_server.url + "/partners/interests")
    assert "学生と一緒に避難所の運営訓練を企画できます。" in home.content()
    assert "lab@example.ac.jp" not in home.content()
    home.get_by_label("連絡先を交換する").check()
    home.get_by_role("button", name="回答する").click()
    assert "連絡先を交換しました" in home.locator(".notice-success").inner_text()
    assert "lab@example.ac.jp" in home.content()
    screenshot(home, "public-08-interest-accepted")
    page.goto(live_server.url + "/partners/interests")
    assert "seeker-b@example.org" in page.content()
    seeker_context.close()


def test_public_pages_on_a_phone(live_server, browser, catalogue_data):
    context = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844})
    phone = context.new_page()
    for path, name in (("/catalogue", "public-09-phone-catalogue"), ("/stats", "public-10-phone-stats")):
        phone.goto(live_server.url + path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways ({width}px)"
        if path == "/stats":
            # Bars lie down on a phone, so category names are not rotated off the left edge.
            phone.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 6")
            axes = phone.evaluate("() => Object.values(Chart.instances).map(c => c.options.indexAxis)")
            assert set(axes) == {"y"}
        screenshot(phone, name)
    context.close()
