"""The triage desk: queue, detail with the "why here" panel, and actions."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from conftest import IS_POSTGRES, department_id

from core.extensions import db
from core.models import Event
from proposals.models import Assignment, AssignmentStatus, Proposal, State
from routing.models import ProposalLink
from routing.seed import seed_routing

PASSWORD = "correct horse battery"


@pytest.fixture
def seeded():
    seed_routing()
    db.session.commit()


def login(client, user):
    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def window_client(client, make_user):
    return login(client, make_user("window", name="窓口 花子"))


def test_only_window_staff_and_admins_see_the_desk(app, client, make_user, make_proposal):
    proposal = make_proposal()
    assert client.get("/triage/").status_code == 302  # to sign-in
    login(client, make_user("department_staff", "kenko-fukushi"))
    assert client.get("/triage/").status_code == 403
    assert client.get(f"/triage/{proposal.reference}").status_code == 403
    admin = login(app.test_client(), make_user("admin"))
    assert admin.get("/triage/").status_code == 200


def test_staff_home_sends_window_staff_to_the_queue(window_client):
    response = window_client.get("/staff")
    assert response.status_code == 302 and response.location.endswith("/triage/")


def test_the_filter_form_keeps_what_was_chosen_in_the_readers_language(seeded, window_client):
    """The options are made in the view (issue 16): each filter still shows its choices with
    the reader's labels, and the chosen ones stay selected after filtering."""
    page = window_client.get("/triage/?state=assigned&ward=ward-tama&theme=childcare&kind=company&age=7")
    html = page.get_data(as_text=True)
    for value, text in (("assigned", "担当部署に割当済み"), ("ward-tama", "多摩区役所"), ("childcare", "子育て"),
                        ("company", "企業"), ("7", "7日以上")):
        option = re.search(rf'<option value="{value}"( selected)?>([^<]*)</option>', html)
        assert option is not None and option.group(1) == " selected", value
        assert text in option.group(2), (value, option.group(2))
    assert '<option value="ward-miyamae">宮前区役所</option>' in html  # not chosen: not selected
    with window_client.session_transaction() as session:
        session["lang"] = "en"
    english = window_client.get("/triage/?ward=ward-tama").get_data(as_text=True)
    assert '<option value="ward-tama" selected>Tama Ward Office</option>' in english


def test_queue_filters_sorting_and_paging(seeded, window_client, make_proposal, make_organisation):
    a = make_proposal(title="宮前区の高齢者サロン")
    b = make_proposal(title="多摩区の子育てひろば", themes=("childcare",), wards=("ward-tama",),
                      summary="親子の子育て相談", issue="子育ての孤立", activities="ひろば")
    c = make_proposal(title="判定不能の相談", themes=(), wards=(), scope="undecided", summary="相談", issue="", activities="")
    page = window_client.get("/triage/").get_data(as_text=True)
    assert all(p.reference in page for p in (a, b, c))
    assert page.index(a.reference) < page.index(c.reference)  # oldest first
    newest = window_client.get("/triage/?sort=newest").get_data(as_text=True)
    assert newest.index(c.reference) < newest.index(a.reference)
    tama = window_client.get("/triage/?ward=ward-tama").get_data(as_text=True)
    assert b.reference in tama and a.reference not in tama
    childcare = window_client.get("/triage/?theme=childcare").get_data(as_text=True)
    assert b.reference in childcare and a.reference not in childcare
    needs = window_client.get("/triage/?needs_triage=1").get_data(as_text=True)
    assert c.reference in needs and a.reference not in needs
    assert a.reference not in window_client.get("/triage/?kind=company").get_data(as_text=True)
    assert a.reference not in window_client.get("/triage/?age=7").get_data(as_text=True)
    assert window_client.get("/triage/?state=assigned").status_code == 200
    assert window_client.get("/triage/?state=nonsense&page=abc&age=x&sort=../").status_code == 200
    old = db.session.get(Proposal, a.id)
    from datetime import timedelta

    old.submitted_at = old.submitted_at - timedelta(days=20)
    db.session.commit()
    overdue = window_client.get("/triage/?overdue=1").get_data(as_text=True)
    assert a.reference in overdue and b.reference not in overdue
    for _ in range(25):
        make_proposal()
    first = window_client.get("/triage/").get_data(as_text=True)
    assert "1 / 2" in first and window_client.get("/triage/?page=2").status_code == 200


def test_detail_shows_the_text_beside_why_here(seeded, window_client, make_proposal):
    proposal = make_proposal()
    page = window_client.get(f"/triage/{proposal.reference}").get_data(as_text=True)
    assert "申請者が書いた内容" in page and "なぜこの部署か" in page
    assert "1区の区レベルのテーマ" in page and "宮前区役所" in page
    assert "<mark>高齢者</mark>" in page
    assert window_client.get("/triage/KW-0000-999999").status_code == 404


def test_confirm_assigns_the_proposed_departments(seeded, window_client, make_proposal):
    proposal = make_proposal()
    response = window_client.post(f"/triage/{proposal.reference}/confirm",
                                  data={"form": "confirm", "confirm-lock_version": proposal.lock_version})
    assert response.status_code == 302
    proposal = db.session.get(Proposal, proposal.id)
    db.session.refresh(proposal)
    assert proposal.state == State.ASSIGNED and proposal.triage_confirmed_at is not None
    live = {(a.department_id, a.role.value) for a in proposal.assignments if a.status == AssignmentStatus.ACTIVE}
    assert live == {(department_id("ward-miyamae"), "lead"), (department_id("kenko-fukushi"), "co")}
    kinds = db.session.scalars(sa.select(Event.kind).where(Event.proposal_id == proposal.id)).all()
    assert "routing_confirmed" in kinds


def test_change_requires_a_reason_and_records_it(seeded, window_client, make_proposal):
    proposal = make_proposal()
    data = {"form": "change", "change-lock_version": proposal.lock_version,
            "change-lead": department_id("kenko-fukushi"), "change-co": [department_id("ward-miyamae")],
            "change-reason": "  ", "do": "assign"}
    response = window_client.post(f"/triage/{proposal.reference}/change", data=data)
    assert response.status_code == 400
    assert "変更の理由を入力してください" in response.get_data(as_text=True)
    data["change-reason"] = "介護予防は局の事業として進めるため"
    assert window_client.post(f"/triage/{proposal.reference}/change", data=data).status_code == 302
    proposal = db.session.get(Proposal, proposal.id)
    db.session.refresh(proposal)
    assert proposal.state == State.ASSIGNED and proposal.lead_department_id == department_id("kenko-fukushi")
    event = db.session.scalar(sa.select(Event).where(Event.kind == "routing_overridden"))
    assert event.comment == "介護予防は局の事業として進めるため"
    assert event.data["from"]["lead"] == "ward-miyamae" and event.data["to"]["lead"] == "kenko-fukushi"
    page = window_client.get(f"/triage/{proposal.reference}").get_data(as_text=True)
    assert "振り分けを変更" in page and "介護予防は局の事業として進めるため" in page


def test_a_change_of_co_departments_alone_reads_as_such(seeded, window_client, make_proposal):
    import re

    proposal = make_proposal()  # routed: 宮前区役所 leads, 健康福祉局 is a co-department
    window_client.post(f"/triage/{proposal.reference}/change", data={
        "form": "change", "change-lock_version": proposal.lock_version, "change-lead": department_id("ward-miyamae"),
        "change-co": [department_id("kenko-fukushi"), department_id("kodomo-mirai")],
        "change-reason": "子育ての要素もある", "do": "save"})
    page = window_client.get(f"/triage/{proposal.reference}").get_data(as_text=True)
    entry = page[page.index('class="event-routing_overridden"'):]
    entry = re.sub(r"\s+", " ", entry[:entry.index("</li>")])
    assert "関係部署: 健康福祉局 → 健康福祉局、こども未来局" in entry
    assert "宮前区役所 → 宮前区役所" not in entry and "主担当:" not in entry


def test_change_can_be_saved_without_assigning(seeded, window_client, make_proposal):
    proposal = make_proposal()
    window_client.post(f"/triage/{proposal.reference}/change", data={
        "form": "change", "change-lock_version": proposal.lock_version, "change-lead": department_id("kodomo-mirai"),
        "change-reason": "子育て世帯向けの内容が中心", "do": "save"})
    proposal = db.session.get(Proposal, proposal.id)
    db.session.refresh(proposal)
    assert proposal.state == State.TRIAGE and proposal.lead_department_id == department_id("kodomo-mirai")
    window_client.post(f"/triage/{proposal.reference}/confirm", data={"form": "confirm", "confirm-lock_version": proposal.lock_version})
    db.session.refresh(proposal)
    lead = next(a for a in proposal.assignments if a.role.value == "lead")
    assert lead.department_id == department_id("kodomo-mirai")


def test_second_staff_member_sees_what_happened_and_nothing_is_assigned_twice(
        seeded, app, window_client, make_user, make_proposal):
    proposal = make_proposal()
    seen = proposal.lock_version
    other = login(app.test_client(), make_user("window", name="窓口 次郎"))
    assert other.post(f"/triage/{proposal.reference}/confirm", data={"form": "confirm", "confirm-lock_version": seen}).status_code == 302
    response = window_client.post(f"/triage/{proposal.reference}/change", data={
        "form": "change", "change-lock_version": seen, "change-lead": department_id("kenko-fukushi"),
        "change-reason": "局へ", "do": "assign"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "窓口 次郎" in page and "あなたの操作は行われていません" in page
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                              .where(Assignment.proposal_id == proposal.id, Assignment.role == "lead"))
    assert count == 1


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="row locks need PostgreSQL")
def test_two_confirmations_at_once_assign_once(seeded, app, make_user, make_proposal):
    from core.audit import Actor
    from proposals.operations import Conflict
    from routing import operations

    proposal = make_proposal()
    users = [make_user("window"), make_user("window")]
    seen, proposal_id = proposal.lock_version, proposal.id
    results, barrier = [], threading.Barrier(2)

    def act(user_id):
        with app.app_context():
            from core.models import User

            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                operations.confirm(db.session.get(Proposal, proposal_id), Actor.of_user(user), expected_version=seen)
                db.session.commit()
                results.append("ok")
            except Conflict:
                db.session.rollback()
                results.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(u.id,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    leads = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                              .where(Assignment.proposal_id == proposal_id, Assignment.role == "lead"))
    assert leads == 1


def test_request_information_from_the_applicant(seeded, window_client, make_proposal):
    proposal = make_proposal()
    bad = window_client.post(f"/triage/{proposal.reference}/request-info",
                             data={"form": "info", "info-lock_version": proposal.lock_version, "info-comment": ""})
    assert bad.status_code == 400 and "申請者への質問を入力してください" in bad.get_data(as_text=True)
    window_client.post(f"/triage/{proposal.reference}/request-info", data={
        "form": "info", "info-lock_version": proposal.lock_version, "info-comment": "活動する地区を教えてください"})
    proposal = db.session.get(Proposal, proposal.id)
    db.session.refresh(proposal)
    assert proposal.state == State.INFO_REQUESTED and proposal.resume_state == State.TRIAGE
    event = db.session.scalar(sa.select(Event).where(Event.to_state == "info_requested"))
    assert event.public and event.comment == "活動する地区を教えてください"


def test_link_and_merge_related_proposals(seeded, window_client, make_proposal):
    a, b = make_proposal(), make_proposal(title="別団体の高齢者サロン")
    response = window_client.post(f"/triage/{a.reference}/link", data={
        "form": "link", "link-related": b.reference.replace("KW", "ＫＷ"), "link-note": "同じ地区の似た活動"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProposalLink)) == 1
    again = window_client.post(f"/triage/{b.reference}/link", data={"form": "link", "link-related": a.reference})
    assert again.status_code == 400 and "すでに関連付けられています" in again.get_data(as_text=True)
    unknown = window_client.post(f"/triage/{a.reference}/link", data={"form": "link", "link-related": "KW-1-1"})
    assert unknown.status_code == 400
    assert b.reference in window_client.get(f"/triage/{a.reference}").get_data(as_text=True)
    window_client.post(f"/triage/{b.reference}/merge", data={
        "form": "merge", "merge-lock_version": b.lock_version, "merge-into": a.reference,
        "merge-reason": "同じ活動のため一本化"})
    b = db.session.get(Proposal, b.id)
    db.session.refresh(b)
    assert b.state == State.MERGED and b.merged_into_id == a.id


def test_bad_input_never_gives_a_server_error(seeded, window_client, make_proposal):
    proposal = make_proposal()
    ref = proposal.reference
    posts = [
        (f"/triage/{ref}/change", {"form": "change", "change-lead": "abc", "change-co": ["x", "9999"],
                                   "change-reason": "理由", "change-lock_version": "abc"}),
        (f"/triage/{ref}/change", {"form": "change", "change-lead": "9999", "change-reason": "理由"}),
        (f"/triage/{ref}/confirm", {"form": "confirm", "confirm-lock_version": "\x00"}),
        (f"/triage/{ref}/confirm", {}),
        (f"/triage/{ref}/link", {"form": "link", "link-related": "K" * 500}),
        (f"/triage/{ref}/merge", {"form": "merge", "merge-into": ref, "merge-reason": "同じ"}),
        (f"/triage/{ref}/request-info", {"form": "info", "info-comment": "x" * 5000}),
        ("/triage/KW-0-0/confirm", {}),
    ]
    for url, data in posts:
        response = window_client.post(url, data=data)
        assert response.status_code in (302, 400, 404), (url, response.status_code)
    page = window_client.post(f"/triage/{ref}/change", data=posts[1][1]).get_data(as_text=True)
    assert "主担当部署" in page
    db.session.refresh(db.session.get(Proposal, proposal.id))
    assert db.session.get(Proposal, proposal.id).state == State.TRIAGE


# --- a hand-back ("not ours") is never a dropped ball ---------------------------------------------------------

def _assigned_then_handed_back(window_client, make_user, make_proposal, suggested: str | None):
    from core.audit import Actor
    from responses import operations as answers
    from routing import operations as routing_ops

    proposal = make_proposal()  # the rules propose ward-miyamae (lead) and kenko-fukushi (co)
    routing_ops.confirm(proposal, Actor.of_user(make_user("window")), expected_version=proposal.lock_version)
    db.session.commit()
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                         Assignment.role == "lead"))
    answers.not_ours(lead, Actor.of_user(make_user("department_staff", "ward-miyamae")),
                     "市民活動の支援は市民文化局の事業です。", department_id(suggested) if suggested else None)
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Proposal, proposal.id)


def _selected_lead(page: str) -> str | None:
    import re

    select = re.search(r'<select[^>]*name="change-lead"[^>]*>(.*?)</select>', page, re.S).group(1)
    chosen = re.search(r'<option[^>]*selected[^>]*value="(\d+)"|<option[^>]*value="(\d+)"[^>]*selected', select)
    return (chosen.group(1) or chosen.group(2)) if chosen else None


def test_hand_back_shows_department_reason_and_suggestion_and_confirm_takes_the_suggestion(
        seeded, window_client, make_user, make_proposal):
    proposal = _assigned_then_handed_back(window_client, make_user, make_proposal, "shimin-bunka")
    assert proposal.state == State.TRIAGE and proposal.lead_department_id is None
    page = window_client.get(f"/triage/{proposal.reference}").get_data(as_text=True)
    panel = page[page.index('class="notice notice-warning hand-back"'):]
    panel = panel[:panel.index("</section>")]
    assert "宮前区役所から差し戻されました" in panel and "市民活動の支援は市民文化局の事業です。" in panel
    assert "提案された部署" in panel and "市民文化局" in panel
    # The suggestion is the proposed lead, in the confirm block and pre-selected in the change form.
    confirm_block = page[page.index("confirm-block"):page.index('id="change-title"')]
    assert "市民文化局" in confirm_block and "宮前区役所" not in confirm_block
    assert _selected_lead(page) == str(department_id("shimin-bunka"))

    response = window_client.post(f"/triage/{proposal.reference}/confirm",
                                  data={"form": "confirm", "confirm-lock_version": proposal.lock_version})
    assert response.status_code == 302
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    live = {(a.department_id, a.role.value) for a in proposal.assignments if a.status == AssignmentStatus.ACTIVE}
    assert live == {(department_id("shimin-bunka"), "lead"), (department_id("kenko-fukushi"), "co")}
    assert proposal.lead_department_id == department_id("shimin-bunka")
    event = db.session.scalar(sa.select(Event).where(Event.kind == "routing_confirmed").order_by(Event.id.desc()))
    assert event.data["lead"] == "shimin-bunka" and event.data["suggested_by"] == "ward-miyamae"
    # The lead was the department's suggestion, not the rule's: a later misroute is not charged to the rule.
    from routing.models import RoutingRecord

    record = db.session.scalar(sa.select(RoutingRecord).order_by(RoutingRecord.id.desc()))
    assert record.lead_rule_key is None and record.reason == "差し戻した部署の提案による"


def test_plain_confirm_never_hands_it_back_to_the_department_that_refused_it(
        seeded, window_client, make_user, make_proposal):
    proposal = _assigned_then_handed_back(window_client, make_user, make_proposal, None)
    page = window_client.get(f"/triage/{proposal.reference}").get_data(as_text=True)
    assert "提案なし" in page and "提案された主担当がありません" in page
    assert f'action="/triage/{proposal.reference}/confirm"' not in page
    assert _selected_lead(page) is None  # nothing pre-selected: staff choose
    response = window_client.post(f"/triage/{proposal.reference}/confirm",
                                  data={"form": "confirm", "confirm-lock_version": proposal.lock_version})
    assert response.status_code == 400
    assert "このまま確認して割り当てることはできません" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).state == State.TRIAGE
    assert not db.session.scalars(sa.select(Assignment).where(
        Assignment.proposal_id == proposal.id, Assignment.role == "lead",
        Assignment.status == AssignmentStatus.ACTIVE)).all()
    # The placeholder is not a department.
    data = {"form": "change", "change-lock_version": proposal.lock_version, "change-lead": "0",
            "change-reason": "再検討", "do": "assign"}
    response = window_client.post(f"/triage/{proposal.reference}/change", data=data)
    assert response.status_code == 400 and "主担当部署を選んでください。" in response.get_data(as_text=True)
    # Handing it back to the refusing department is a deliberate override with a reason.
    data.update({"change-lead": department_id("ward-miyamae"), "change-reason": "区の事業として再度お願いします"})
    assert window_client.post(f"/triage/{proposal.reference}/change", data=data).status_code == 302
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    assert proposal.state == State.ASSIGNED and proposal.lead_department_id == department_id("ward-miyamae")
    event = db.session.scalar(sa.select(Event).where(Event.kind == "routing_overridden"))
    assert event.comment == "区の事業として再度お願いします"


def test_a_saved_override_after_a_hand_back_is_what_confirm_assigns(seeded, window_client, make_user, make_proposal):
    proposal = _assigned_then_handed_back(window_client, make_user, make_proposal, "shimin-bunka")
    window_client.post(f"/triage/{proposal.reference}/change", data={
        "form": "change", "change-lock_version": proposal.lock_version, "change-lead": department_id("ward-miyamae"),
        "change-reason": "区と話して区が引き受けることになった", "do": "save"})
    db.session.expire_all()
    proposal = db.session.get(Proposal, proposal.id)
    page = window_client.get(f"/triage/{proposal.reference}").get_data(as_text=True)
    assert "宮前区役所から差し戻されました" in page  # still shown
    assert _selected_lead(page) == str(department_id("ward-miyamae"))
    assert window_client.post(f"/triage/{proposal.reference}/confirm", data={
        "form": "confirm", "confirm-lock_version": proposal.lock_version}).status_code == 302
    db.session.expire_all()
    lead = db.session.scalar(sa.select(Assignment).where(Assignment.proposal_id == proposal.id,
                                                         Assignment.role == "lead",
                                                         Assignment.status == AssignmentStatus.ACTIVE))
    assert lead.department_id == department_id("ward-miyamae")
