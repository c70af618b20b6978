"""Issue 12 point 8, in Chromium: the window changes the routing with a
reason, the department adopts with next steps; the applicant sees the next
steps but not the reason; the public page shows exactly the fields the
applicant's consent named (version 1: title, summary, themes, wards and the
result, not the background written later into the declaration)."""

from __future__ import annotations

import pytest
from conftest import department_id, screenshot
from test_public_journey import PASSWORD, _applicant_signs_in, _new_page, _staff_signs_in

from core.extensions import db

pytestmark = pytest.mark.browser
TITLE = "宮前区・鷺沼の子ども食堂と学習支援"
REASON = "子ども食堂は区の地域みまもり支援として区役所が担当するため（ルール調整用メモ）"
NEXT_STEPS = "2月末までに実施計画書と見積書をご提出ください"
ISSUE = "鷺沼地区では放課後に一人で過ごす子どもが増えています"
ADOPTION = "区の子ども・子育て施策として、来年度から協働で実施します。"


def test_reason_stays_inside_next_steps_reach_the_applicant_public_shows_consented_fields(
        app, browser, live_server, make_user, make_proposal):
    db.session.commit()
    base = live_server.url
    applicant = make_user("applicant", email="kodomo-saginuma@example.org", name="鷺沼 咲")
    window = make_user("window", password=PASSWORD, name="窓口 花子")
    ward = make_user("department_staff", "ward-miyamae", password=PASSWORD, name="宮前 太郎")
    proposal = make_proposal(applicant=applicant, title=TITLE, issue=ISSUE, wards=("ward-miyamae",),
                             themes=("welfare-elderly",), summary="鷺沼の集会所で、子ども食堂と学習支援を毎週開きます。",
                             consent_publish=True, consent_version=1)
    reference, status_path = proposal.reference, f"/my/proposals/{proposal.reference}"

    # The window changes the routing, with its reason (庁内のみ, said under the label).
    desk_context, desk = _new_page(browser)
    _staff_signs_in(desk, base, window)
    desk.goto(f"{base}/triage/{reference}")
    assert "庁内のみ" in desk.locator("#field-change-reason").inner_text()
    desk.select_option("#change-lead", str(department_id("ward-miyamae")))
    desk.fill("#change-reason", REASON)
    desk.get_by_role("button", name="変更して割り当てる").click()
    assert "担当部署に割り当てました" in desk.locator(".notice-success").inner_text()

    # The ward office adopts with next steps (the form says who reads each field).
    office_context, office = _new_page(browser)
    _staff_signs_in(office, base, ward)
    office.goto(f"{base}/inbox/proposals/{proposal.id}")
    office.get_by_role("button", name="受領・検討開始を登録する").click()
    office.locator("#action-adopt summary").click()
    assert "承認後に公開されます" in office.locator("#field-adopt-text").inner_text()
    assert "申請者に表示されます" in office.locator("#field-adopt-next_steps").inner_text()
    office.fill("#adopt-text", ADOPTION)
    office.fill("#adopt-next_steps", NEXT_STEPS)
    if office.locator("#adopt-without_opinions").count():
        office.check("#adopt-without_opinions")
    screenshot(office, "visibility-01-adopt-form")
    office.get_by_role("button", name="採択を登録する").click()
    assert office.get_by_text("採択を登録し、提案者にお知らせしました").is_visible()

    # The window publishes it after the preview of exactly the public page.
    desk.goto(f"{base}/catalogue/manage")
    desk.get_by_role("link", name=f"{reference} の公開ページを確認する").click()
    preview = desk.locator("main").inner_text()
    assert ISSUE not in preview and "地域の課題・背景" in desk.locator(".pub-preview").inner_text()
    screenshot(desk, "visibility-02-publication-preview")
    desk.get_by_role("button", name="この内容で公開する").click()

    # The applicant: next steps and 公開中, never the window's reason.
    home_context, home = _new_page(browser)
    _applicant_signs_in(home, base, applicant.email, status_path)
    home.goto(base + status_path)
    page = home.content()
    assert NEXT_STEPS in page and ADOPTION in page and "公開中" in page
    assert REASON not in page
    screenshot(home, "visibility-03-applicant-status")

    # The public: the consented fields (title, summary, wards, themes, result), not the background.
    public_context, visitor = _new_page(browser)
    visitor.goto(f"{base}/catalogue/{reference}")
    public_page = visitor.content()
    assert TITLE in public_page and "子ども食堂と学習支援を毎週開きます" in public_page and ADOPTION in public_page
    assert ISSUE not in public_page and REASON not in public_page and NEXT_STEPS not in public_page
    assert applicant.email not in public_page and "NPO法人テスト" not in public_page and "None" not in public_page
    screenshot(visitor, "visibility-04-public-page")
    for context in (desk_context, office_context, home_context, public_context):
        context.close()
