"""In Chromium: window staff group three proposals from two wards (two typed
as reference numbers, one picked from the list), see the group span both
wards on the dashboard, publish it, and the group's public page lists only
the published members."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import screenshot

from core.extensions import db
from proposals.groups import ProposalGroup

PASSWORD = "pw-browser-2026"


@pytest.mark.browser
def test_window_staff_group_three_proposals_from_two_wards_and_publish(live_server, page, make_user, make_proposal):
    window = make_user("window", "jichi", password=PASSWORD, name="窓口 花子")
    first = make_proposal(title="多言語の窓口同行", wards=("ward-kawasaki",), consent_publish=True,
                          publication_approved=True)
    second = make_proposal(title="やさしい日本語の書類教室", wards=("ward-kawasaki",))
    third = make_proposal(title="外国人ママの子育て手続き相談", wards=("ward-miyamae",), consent_publish=True,
                          publication_approved=True)

    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=email]", window.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    page.get_by_role("link", name="協働グループ").first.click()
    assert page.url.endswith("/window/groups")

    page.get_by_label("グループ名").fill("外国人住民の手続き支援")
    page.get_by_label("説明（共通の課題、めざすこと）").fill("転入や保険の手続きを別々に支えてきた団体をつなぎます。")
    page.get_by_label("公開ページのアドレス").fill("foreign-residents")
    page.get_by_label("受付番号（複数は改行・空白・読点で区切る）").fill(f"{first.reference}\n{second.reference}")
    page.get_by_label("一覧から選ぶ（複数選択可）").select_option([str(third.id)])
    screenshot(page, "groups-01-new")
    page.get_by_role("button", name="グループを作る").click()

    assert page.get_by_role("heading", name="外国人住民の手続き支援").is_visible()
    members = page.locator("table.groups-members tbody tr")
    assert members.count() == 3
    assert page.get_by_text("2区にまたがる").first.is_visible()
    screenshot(page, "groups-02-detail")

    page.get_by_role("button", name="公開ページを公開する").click()
    assert page.get_by_text("公開ページを公開しました。").is_visible()
    db.session.expire_all()
    group = db.session.scalar(sa.select(ProposalGroup))
    assert group.published and {m.proposal_id for m in group.memberships} == {first.id, second.id, third.id}

    page.goto(f"{live_server.url}/window/dashboard")
    dashboard_groups = page.locator("section", has=page.locator("#h-groups"))
    assert dashboard_groups.get_by_role("link", name="外国人住民の手続き支援").is_visible()
    assert dashboard_groups.get_by_text("2区にまたがる").is_visible()

    page.goto(f"{live_server.url}/groups/foreign-residents")
    assert page.get_by_role("heading", name="外国人住民の手続き支援", level=1).is_visible()
    assert page.get_by_role("heading", name="多言語の窓口同行").is_visible()
    assert page.get_by_role("heading", name="外国人ママの子育て手続き相談").is_visible()
    assert page.get_by_text("やさしい日本語の書類教室").count() == 0  # not in the catalogue: not shown
    screenshot(page, "groups-03-public")
