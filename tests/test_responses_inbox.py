"""The department inbox and proposal page: access enforced in the queries,
each typed answer recorded as an event through the lifecycle."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import department_id

from core.audit import Actor
from core.extensions import db
from core.models import Event, OutboxEmail
from proposals import operations
from proposals.models import Assignment, AssignmentRole, AssignmentStatus, Attachment, Message, Proposal, State
from responses.clock import clock, tokyo_moment
from responses.models import AnswerTemplate

PASSWORD = "pw-department-2026"


@pytest.fixture
def staff(make_user):
    return {
        "lead": make_user("department_staff", "ward-miyamae", password=PASSWORD, name="宮前 職員"),
        "lead_manager": make_user("department_manager", "ward-miyamae", password=PASSWORD),
        "co": make_user("department_staff", "kenko-fukushi", password=PASSWORD, name="福祉 職員"),
        "other": make_user("department_staff", "kankyo", password=PASSWORD),
        "window": make_user("window", "jichi", password=PASSWORD),
    }


@pytest.fixture
def proposal(make_proposal, staff):
    proposal = make_proposal(title="宮前区の高齢者サロン", issue="高齢者の孤立が進んでいます。")
    with clock.frozen(tokyo_moment(date(2026, 9, 14), 10)):
        operations.assign(proposal, department_id("ward-miyamae"), [department_id("kenko-fukushi")],
                          Actor.of_user(staff["window"]))
        db.session.commit()
    return proposal


def login(app, user):
    client = app.test_client()
    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _lead(proposal) -> Assignment:
    return db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                         Assignment.role == AssignmentRole.LEAD))


def test_staff_home_sends_department_staff_to_the_inbox(app, staff):
    client = login(app, staff["lead"])
    response = client.get("/staff")
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")


def test_inbox_lists_lead_and_co_assignments_with_due_dates(app, proposal, staff):
    page = login(app, staff["lead"]).get("/inbox").get_data(as_text=True)
    assert "宮前区の高齢者サロン" in page and "主担当" in page and "2026年9月24日" in page
    page = login(app, staff["co"]).get("/inbox?role=co").get_data(as_text=True)
    assert "宮前区の高齢者サロン" in page and "関係部署" in page
    assert "宮前区の高齢者サロン" not in login(app, staff["co"]).get("/inbox?role=lead").get_data(as_text=True)
    assert "宮前区の高齢者サロン" not in login(app, staff["other"]).get("/inbox").get_data(as_text=True)


def test_inbox_filters_overdue_and_sorts(app, proposal, staff, make_proposal):
    client = login(app, staff["lead"])
    with clock.frozen(tokyo_moment(date(2026, 9, 25), 9)):
        overdue = client.get("/inbox?due=overdue").get_data(as_text=True)
        soon = client.get("/inbox?due=soon").get_data(as_text=True)
    assert "宮前区の高齢者サロン" in overdue and "期限超過" in overdue
    assert "宮前区の高齢者サロン" not in soon
    with clock.frozen(tokyo_moment(date(2026, 9, 18), 9)):
        assert "宮前区の高齢者サロン" in client.get("/inbox?due=soon&sort=assigned").get_data(as_text=True)
    assert client.get("/inbox?status=bogus&sort=bogus&page=-3&q=%EF%BC%B7").status_code == 200
    assert "宮前区の高齢者サロン" in client.get("/inbox?q=KW-2026").get_data(as_text=True)


def test_another_department_cannot_open_the_proposal_or_its_files(app, proposal, staff, tmp_path):
    upload_dir = Path(app.config["UPLOAD_DIR"]) / "ab"  # intake.files.path_for: a folder per key prefix
    upload_dir.mkdir(parents=True, exist_ok=True)
    (upload_dir / "abc123").write_bytes(b"%PDF-1.4 test")
    db.session.add(Attachment(proposal_id=proposal.id, filename="計画書.pdf", content_type="application/pdf",
                              size_bytes=13, sha256="0" * 64, storage_key="abc123"))
    db.session.commit()
    attachment_id = db.session.scalar(sa.select(Attachment.id))
    other = login(app, staff["other"])
    assert other.get(f"/inbox/proposals/{proposal.id}").status_code == 404
    assert other.get(f"/inbox/proposals/{proposal.id}/files/{attachment_id}").status_code == 404
    assert other.post(f"/inbox/proposals/{proposal.id}/acknowledge", data={}).status_code == 404
    assert other.post(f"/inbox/proposals/{proposal.id}/adopt",
                      data={"adopt-text": "採択します"}).status_code == 404
    lead = login(app, staff["lead"])
    page = lead.get(f"/inbox/proposals/{proposal.id}").get_data(as_text=True)
    assert "高齢者の孤立が進んでいます。" in page and "計画書.pdf" in page
    download = lead.get(f"/inbox/proposals/{proposal.id}/files/{attachment_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 test"
    download.close()
    assert lead.get(f"/inbox/proposals/{proposal.id + 999}").status_code == 404
    # An applicant is not staff at all.
    assert db.session.get(Proposal, proposal.id).state == State.ASSIGNED


def test_acknowledge_is_an_event_and_the_state_stays(app, proposal, staff):
    client = login(app, staff["lead"])
    response = client.post(f"/inbox/proposals/{proposal.id}/acknowledge", data={"ack-note": "担当者が確認しています。"})
    assert response.status_code == 302
    db.session.expire_all()
    assert _lead(proposal).acknowledged_at is not None
    assert db.session.get(Proposal, proposal.id).state == State.ASSIGNED
    event = db.session.scalar(sa.select(Event).where(Event.kind == "assignment_acknowledged"))
    assert event.public and event.department_id == department_id("ward-miyamae")
    again = client.post(f"/inbox/proposals/{proposal.id}/acknowledge", data={})
    assert again.status_code == 409  # already acknowledged: said plainly, no 500


def test_meeting_with_date_options_moves_to_consultation(app, proposal, staff):
    client = login(app, staff["lead"])
    response = client.post(f"/inbox/proposals/{proposal.id}/meeting", data={
        "meeting-message": "一度お話を伺えますか。", "meeting-option1": "１０月１日（木）１４時",
        "meeting-option2": "10月2日（金）10時",
    })
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.IN_CONSULTATION
    event = db.session.scalar(sa.select(Event).where(Event.to_state == "in_consultation"))
    assert event.data["meeting_options"] == ["10月1日(木)14時", "10月2日(金)10時"]  # NFKC
    message = db.session.scalar(sa.select(Message).where(Message.internal.is_(False)))
    assert "10月2日(金)10時" in message.body


def test_meeting_without_a_date_option_shows_the_error_and_keeps_the_text(app, proposal, staff):
    client = login(app, staff["lead"])
    response = client.post(f"/inbox/proposals/{proposal.id}/meeting", data={"meeting-message": "お話を伺いたいです"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "候補日時1を入力してください" in page and "お話を伺いたいです" in page
    assert 'href="#meeting-option1"' in page  # the error summary links to the field


def test_request_information_then_adopt_with_next_steps(app, proposal, staff):
    client = login(app, staff["lead"])
    client.post(f"/inbox/proposals/{proposal.id}/request_info", data={"info-question": "会場はどこですか。"})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.INFO_REQUESTED
    assert _lead(proposal).paused_since is not None

    def exchanges() -> str:
        page = client.get(f"/inbox/proposals/{proposal.id}").get_data(as_text=True)
        start = page.index('id="h-messages"')
        return page[start:page.index("</section>", start)]

    box = exchanges()  # the question just sent is in the やりとり box, not "nothing yet"
    assert "会場はどこですか。" in box and "追加情報の依頼" in box and "まだやりとりはありません" not in box
    operations.answer_info_request(db.session.get(Proposal, proposal.id),
                                   Actor.of_user(db.session.get(Proposal, proposal.id).created_by), "地区会館です。")
    db.session.commit()
    box = exchanges()
    assert box.index("会場はどこですか。") < box.index("地区会館です。")
    adoption = {
        "adopt-text": "採択します。区の事業として進めます。", "adopt-budget_year": "２０２７",
        "adopt-agreement": "y", "adopt-agreement_note": "協働事業協定", "adopt-next_steps": "10月に打合せ",
    }
    # The co-department has said nothing: the lead sees which and must confirm.
    page = client.get(f"/inbox/proposals/{proposal.id}").get_data(as_text=True)
    assert "まだ意見を出していない関係部署があります" in page
    refused = client.post(f"/inbox/proposals/{proposal.id}/adopt", data=adoption)
    assert refused.status_code == 409 and "からまだ意見がありません" in refused.get_data(as_text=True)
    response = client.post(f"/inbox/proposals/{proposal.id}/adopt", data={**adoption, "adopt-without_opinions": "y"})
    assert response.status_code == 302
    # The co-department's assignment closes and its staff are told the outcome.
    co = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                       Assignment.role == AssignmentRole.CO))
    assert co.status == AssignmentStatus.CLOSED
    told = db.session.scalars(sa.select(OutboxEmail.to_address).where(OutboxEmail.subject.contains("結果が出ました")))
    assert staff["co"].email in set(told)
    db.session.expire_all()
    adopted = db.session.get(Proposal, proposal.id)
    assert adopted.state == State.ADOPTED and adopted.decision_reason.startswith("採択します")
    event = db.session.scalar(sa.select(Event).where(Event.to_state == "adopted"))
    assert event.public and event.data["budget_year"] == 2027 and event.data["agreement"] is True
    assert _lead(proposal).answered_at is not None


def test_adopt_with_agreement_needs_its_description(app, proposal, staff):
    client = login(app, staff["lead"])
    response = client.post(f"/inbox/proposals/{proposal.id}/adopt", data={
        "adopt-text": "採択します。", "adopt-agreement": "y", "adopt-budget_year": "令和9"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "協定の内容を入力してください" in page
    assert db.session.get(Proposal, proposal.id).state == State.ASSIGNED


def test_not_adopted_needs_a_reason_and_a_text_for_the_applicant(app, proposal, staff):
    client = login(app, staff["lead"])
    response = client.post(f"/inbox/proposals/{proposal.id}/not_adopt", data={"notadopt-reason": "予算がない"})
    assert response.status_code == 400 and "提案者へのお知らせを入力してください" in response.get_data(as_text=True)
    client.post(f"/inbox/proposals/{proposal.id}/not_adopt", data={
        "notadopt-reason": "今年度の予算枠がない", "notadopt-applicant_text": "今回は見送りますが、来年度の公募をご案内します。",
        "notadopt-without_opinions": "y"})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.NOT_ADOPTED
    event = db.session.scalar(sa.select(Event).where(Event.to_state == "not_adopted"))
    assert event.public and event.comment.startswith("今回は見送ります") and "予算枠" not in str(event.data)
    note = db.session.scalar(sa.select(Message).where(Message.internal.is_(True)))
    assert note.body == "今年度の予算枠がない"


def test_not_ours_goes_back_to_triage_with_reason_and_suggestion(app, proposal, staff):
    client = login(app, staff["lead"])
    response = client.post(f"/inbox/proposals/{proposal.id}/not_ours", data={"notours-reason": ""})
    assert response.status_code == 400
    client.post(f"/inbox/proposals/{proposal.id}/not_ours", data={
        "notours-reason": "公園の管理は建設緑政局です。", "notours-suggested_department": str(department_id("kensetsu-ryokusei"))})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.TRIAGE
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.role == AssignmentRole.LEAD))
    assert lead.status == AssignmentStatus.RETURNED and lead.returned_reason == "公園の管理は建設緑政局です。"
    event = db.session.scalar(sa.select(Event).where(Event.to_state == "triage", Event.from_state == "assigned"))
    assert event.data["suggested_department_code"] == "kensetsu-ryokusei"
    assert event.data["returned_by_department_id"] == department_id("ward-miyamae")
    co = db.session.scalar(sa.select(Assignment).where(Assignment.role == AssignmentRole.CO))
    assert co.paused_since is not None  # nobody's clock runs while the window re-triages


def test_co_department_gives_an_opinion_shown_to_the_lead_only_to_staff(app, proposal, staff):
    co = login(app, staff["co"])
    assert co.post(f"/inbox/proposals/{proposal.id}/adopt", data={"adopt-text": "x"}).status_code == 409
    co.post(f"/inbox/proposals/{proposal.id}/opinion", data={"opinion-body": "福祉の観点から協力できます。"})
    db.session.expire_all()
    co_assignment = db.session.scalar(sa.select(Assignment).where(Assignment.role == AssignmentRole.CO))
    assert co_assignment.answered_at is not None and co_assignment.acknowledged_at is not None
    message = db.session.scalar(sa.select(Message))
    assert message.internal and message.department_id == department_id("kenko-fukushi")
    lead = login(app, staff["lead"])
    page = lead.get(f"/inbox/proposals/{proposal.id}").get_data(as_text=True)
    assert "福祉の観点から協力できます。" in page and "関係部署の意見" in page
    lead.post(f"/inbox/proposals/{proposal.id}/adopt", data={"adopt-text": "採択します。", "adopt-without_opinions": "y"})
    event = db.session.scalar(sa.select(Event).where(Event.to_state == "adopted"))
    assert event.data["co_opinions"] == [{"department_id": department_id("kenko-fukushi"), "message_id": message.id}]


def test_answer_templates_fill_the_form(app, proposal, staff):
    manager = login(app, staff["lead_manager"])
    response = manager.post("/inbox/templates", data={"action": "save", "kind": "request_info", "title": "会場の確認",
                                                      "body": "会場と日時を教えてください。"})
    assert response.status_code == 302
    template = db.session.scalar(sa.select(AnswerTemplate))
    assert template.department_id == department_id("ward-miyamae")
    page = login(app, staff["lead"]).get(f"/inbox/proposals/{proposal.id}?template={template.id}").get_data(as_text=True)
    assert "会場と日時を教えてください。</textarea>" in page
    # Staff (not managers) read templates but do not edit them; other departments never see them.
    assert login(app, staff["lead"]).post("/inbox/templates", data={"action": "save"}).status_code == 403
    other = login(app, staff["other"])
    assert "会場の確認" not in other.get("/inbox/templates").get_data(as_text=True)
    assert "会場と日時" not in other.get(f"/inbox/proposals/{proposal.id}?template={template.id}").get_data(as_text=True)


def test_window_dashboard_shows_overdue_by_department_and_response_times(app, proposal, staff, make_user):
    lead_client = login(app, staff["lead"])
    with clock.frozen(tokyo_moment(date(2026, 9, 16), 10)):
        lead_client.post(f"/inbox/proposals/{proposal.id}/acknowledge", data={})
    window = login(app, staff["window"])
    with clock.frozen(tokyo_moment(date(2026, 10, 20), 10)):
        page = window.get("/window/dashboard").get_data(as_text=True)
    assert "宮前区役所" in page and "健康福祉局" in page and "宮前区の高齢者サロン" in page
    # Assigned Mon 09-14: the lead acknowledged after 2 business days, its answer was due 10-16 (holidays
    # 09-21, 09-22, 09-23, 10-12); the co-department never acknowledged (due 09-24).
    assert _dashboard_row(page, "宮前区役所") == ["1", "0", "0", "1", "0", "0", "2", "2", "—", "—"]
    assert _dashboard_row(page, "健康福祉局") == ["1", "0", "1", "0", "0", "0", "—", "—", "—", "—"]
    assert lead_client.get("/window/dashboard").status_code == 403
    # The window's manager (told at the second level) opens the dashboard and the proposal from the email link.
    window_manager = login(app, make_user("department_manager", "jichi", password=PASSWORD))
    assert "/window/dashboard" in window_manager.get("/inbox").get_data(as_text=True)
    assert window_manager.get("/window/dashboard").status_code == 200
    assert window_manager.get(f"/inbox/proposals/{proposal.id}").status_code == 200
    assert login(app, staff["other"]).get("/window/dashboard").status_code == 403


def test_the_dashboard_counts_as_open_deadline_decides_day_by_day(app, proposal, staff):
    """The dashboard counts in SQL what deadlines.open_deadline decides for
    each assignment: checked on every day from assignment to past the
    answer's due date (holidays, the reminder window, the acknowledgement met)."""
    from datetime import timedelta

    from responses.dashboard import department_figures
    from responses.deadlines import open_deadline
    from responses.models import DeadlineKind
    from responses.settings import calendar

    lead_client = login(app, staff["lead"])
    with clock.frozen(tokyo_moment(date(2026, 9, 16), 10)):
        lead_client.post(f"/inbox/proposals/{proposal.id}/acknowledge", data={})
    db.session.expire_all()
    assignments = db.session.scalars(sa.select(Assignment).where(Assignment.status == AssignmentStatus.ACTIVE)).all()
    day = date(2026, 9, 14)
    while day <= date(2026, 10, 30):
        expected: dict[int, list[int]] = {}
        for assignment in assignments:
            row = expected.setdefault(assignment.department_id, [0, 0, 0, 0])
            standing = open_deadline(assignment, day, calendar())
            if standing is not None and (standing.overdue or standing.due_soon):
                row[(0 if standing.overdue else 2) + (standing.kind == DeadlineKind.ANSWER)] += 1
        figures = {f.department.id: [f.overdue_ack, f.overdue_answer, f.soon_ack, f.soon_answer]
                   for f in department_figures(tokyo_moment(day, 10))}
        assert {k: v for k, v in figures.items() if k in expected} == expected, day
        day += timedelta(days=1)


def _dashboard_row(page: str, department: str) -> list[str]:
    import re

    row = re.search(r'<th scope="row">' + department + r'</th>(.*?)</tr>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_window_dashboard_figures_for_a_department_with_known_data(app, staff, make_user, make_proposal):
    """環境局: ten leads acknowledged after 1..10 business days (median 5.5, p90 9.1), three of them
    decided after 10, 12 and 15 business days (median 12, p90 12 + 0.8 * 3 = 14.4); the seven still open owe their
    answer on 2026-06-29 (due soon on 06-26); an eleventh never acknowledged (ack due 06-08: overdue)."""
    from core.calendar import BusinessCalendar
    from responses import operations as answers

    cal = BusinessCalendar.from_database()
    monday = date(2026, 6, 1)
    kankyo = make_user("department_staff", "kankyo", password=PASSWORD)
    window = Actor.of_user(staff["window"])
    decided_after = {1: 10, 2: 12, 3: 15}
    for i in range(1, 12):
        proposal = make_proposal(title=f"環境の提案 {i}", themes=("environment",), wards=())
        with clock.frozen(tokyo_moment(monday, 10)):
            operations.assign(proposal, department_id("kankyo"), [], window)
            db.session.commit()
        if i == 11:
            continue  # never acknowledged
        lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id))
        with clock.frozen(tokyo_moment(cal.add_business_days(monday, i), 11)):
            answers.acknowledge(lead, Actor.of_user(kankyo))
            db.session.commit()
        if i in decided_after:
            with clock.frozen(tokyo_moment(cal.add_business_days(monday, decided_after[i]), 11)):
                answers.not_adopt(lead, Actor.of_user(kankyo), "予算がない", "今回は見送ります。", without_opinions=True)
                db.session.commit()
    window_client = login(app, staff["window"])
    with clock.frozen(tokyo_moment(date(2026, 6, 26), 10)):
        page = window_client.get("/window/dashboard").get_data(as_text=True)
    # open, paused, overdue (ack, answer), due soon (ack, answer), ack median / p90, answer median / p90
    assert _dashboard_row(page, "環境局") == ["8", "0", "1", "0", "0", "7", "5.5", "9.1", "12", "14.4"]
    overdue = page[page.index('id="h-overdue"'):]
    assert "環境の提案 11" in overdue and "2026年6月8日" in overdue
    assert "環境の提案 4" not in overdue  # due soon is not overdue
    with clock.frozen(tokyo_moment(date(2026, 6, 30), 10)):  # a day past the answer deadline
        later = window_client.get("/window/dashboard").get_data(as_text=True)
    assert _dashboard_row(later, "環境局") == ["8", "0", "1", "7", "0", "0", "5.5", "9.1", "12", "14.4"]


def test_dashboard_percentiles():
    from proposals.metrics import Summary, median, percentile_90

    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert median(values) == 5.5 and percentile_90(values) == 9.1
    assert median([3, 1, 2]) == 2 and percentile_90([10, 12, 15]) == 14.4
    assert median([]) is None and percentile_90([4]) == 4
    assert Summary.of([10, 12, 15]) == Summary(3, 12.0, 14.4)


def test_a_stale_form_gets_a_clear_conflict_not_a_double_decision(app, proposal, staff):
    client = login(app, staff["lead"])
    version = db.session.get(Proposal, proposal.id).lock_version
    client.post(f"/inbox/proposals/{proposal.id}/meeting", data={
        "meeting-version": str(version), "meeting-message": "お話しましょう", "meeting-option1": "10月1日"})
    response = client.post(f"/inbox/proposals/{proposal.id}/not_adopt", data={
        "notadopt-version": str(version), "notadopt-reason": "予算がない", "notadopt-applicant_text": "見送ります",
        "notadopt-without_opinions": "y"})
    assert response.status_code == 409
    assert "他の職員によって更新されました" in response.get_data(as_text=True)
    assert "見送ります" in response.get_data(as_text=True)  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.IN_CONSULTATION


def test_heads_of_bureaus_and_wards_are_kept_by_the_administrator(app, make_user, staff):
    from responses.models import DepartmentHead

    admin = make_user("admin", password=PASSWORD)
    head = make_user("department_manager", "ward-miyamae", email="kucho@city.example.jp", password=PASSWORD)
    client = login(app, admin)
    response = client.post("/admin/deadlines/heads", data={
        "action": "add", "department": str(department_id("ward-miyamae")), "email": "ＫＵＣＨＯ@city.example.jp"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(DepartmentHead.user_id)) == head.id
    unknown = client.post("/admin/deadlines/heads", data={
        "action": "add", "department": str(department_id("ward-miyamae")), "email": "nobody@example.jp"})
    assert unknown.status_code == 200 and "職員が見つかりません" in unknown.get_data(as_text=True)
    client.post("/admin/deadlines/heads", data={"action": "remove", "department_id": str(department_id("ward-miyamae")),
                                                "user_id": str(head.id)})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DepartmentHead)) == 0
    assert login(app, staff["lead"]).get("/admin/deadlines/heads").status_code == 403


def test_department_settings_bad_input_is_explained_not_a_500(app, make_user):
    from core.models import Department

    admin = make_user("admin", password=PASSWORD)
    client = login(app, admin)
    dept = department_id("kankyo")
    response = client.post("/admin/deadlines/", data={"action": "days", "department_id": str(dept),
                                                      f"d{dept}-ack_days": "abc", f"d{dept}-answer_days": "３０"})
    assert response.status_code == 200 and "受領・検討開始までの開庁日数は数字で入力してください" in response.get_data(as_text=True)
    client.post("/admin/deadlines/", data={"action": "days", "department_id": str(dept),
                                           f"d{dept}-ack_days": "３", f"d{dept}-answer_days": "３０"})
    db.session.expire_all()
    assert (db.session.get(Department, dept).ack_business_days, db.session.get(Department, dept).answer_business_days) == (3, 30)
    assert client.post("/admin/deadlines/", data={"action": "days", "department_id": "99999"}).status_code == 404
    assert client.post("/admin/deadlines/", data={"action": "remove", "day": "not-a-day"}).status_code == 404


def test_inbox_in_english(app, proposal, staff):
    client = login(app, staff["lead"])
    client.get("/lang/en")
    page = client.get("/inbox").get_data(as_text=True)
    assert "Inbox" in page and "Lead" in page and "Overdue (" in page and "Acknowledge" in page


def test_closed_day_accepts_full_width_and_explains_bad_dates(app, make_user):
    from core.models import ClosedDay

    client = login(app, make_user("admin", password=PASSWORD))
    bad = client.post("/admin/deadlines/", data={"action": "add", "closed-day": "12月28日"})
    assert bad.status_code == 200 and "閉庁日は年-月-日の形で入力してください" in bad.get_data(as_text=True)
    assert "12月28日" in bad.get_data(as_text=True)  # what was typed is kept
    client.post("/admin/deadlines/", data={"action": "add", "closed-day": "２０２６／１２／２８"})
    assert db.session.get(ClosedDay, date(2026, 12, 28)) is not None
    assert client.post("/admin/deadlines/heads", data={"action": "remove", "department_id": "x"}).status_code == 404


def test_dashboard_response_times_leave_out_the_time_waiting_for_the_applicant():
    from core.calendar import BusinessCalendar
    from proposals.metrics import business_days_taken

    cal = BusinessCalendar()
    assigned = tokyo_moment(date(2026, 6, 1), 10)  # Mon
    answered = tokyo_moment(date(2026, 6, 19), 11)  # Fri, three weeks later: 14 business days
    assert business_days_taken(cal, assigned, answered, 0) == 14
    # A week waiting for the applicant: the answer counts as on Fri 6/12, 9 business days.
    assert business_days_taken(cal, assigned, answered, 7 * 86400) == 9
    assert business_days_taken(cal, assigned, answered, 100 * 86400) == 0  # never before the assignment


@pytest.mark.parametrize("typed, year", [("令和9年度", 2027), ("R9", 2027), ("２０２７年度", 2027), ("2027", 2027),
                                         ("令和元年度", 2019), ("平成31年度", 2019)])
def test_the_budget_year_accepts_era_years_as_the_applicants_form_does(app, typed, year):
    from werkzeug.datastructures import MultiDict

    from responses.forms import AdoptForm

    with app.test_request_context():
        form = AdoptForm(formdata=MultiDict({"budget_year": typed}), meta={"csrf": False})
        form.budget_year.validate(form)
        assert form.budget_year.data == year and not form.budget_year.errors


def test_free_text_keeps_full_width_punctuation_as_typed(app):
    from werkzeug.datastructures import MultiDict

    from responses.forms import AdoptForm

    typed = "協働事業に関する協定（令和9年4月締結予定）。「ｶﾅ」も打ったまま"
    with app.test_request_context():
        form = AdoptForm(formdata=MultiDict({"agreement_note": typed, "next_steps": f"{typed}\r\n次の行"}),
                         meta={"csrf": False})
        assert form.agreement_note.data == typed and form.next_steps.data == f"{typed}\n次の行"


def test_the_dashboards_response_times_are_kept_a_few_minutes_outside_tests(app, proposal, monkeypatch):
    """The year of percentiles is computed once per DASHBOARD_TIMES_CACHE_SECONDS; the counts stay live."""
    from proposals import metrics
    from responses.dashboard import department_figures

    app.config["DASHBOARD_TIMES_CACHE_SECONDS"] = 300
    calls = []
    original = metrics.summaries_by_department
    monkeypatch.setattr(metrics, "summaries_by_department", lambda *a, **k: calls.append(1) or original(*a, **k))
    now = tokyo_moment(date(2026, 10, 20), 10)
    first = department_figures(now)
    again = department_figures(now)
    assert len(calls) == 2 and [f.open for f in first] == [f.open for f in again]  # ack and answer, once
    app.config["DASHBOARD_TIMES_CACHE_SECONDS"] = 0
    department_figures(now)
    assert len(calls) == 4
