"""The groups pages: the window creates and fills a group (by reference
numbers or from the list), a department sees only the groups of its own
proposals and only their outline, the applicant consents on the status page,
the public page lists only published members, the dashboard flags groups
spanning two wards."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import department_id
from intake_helpers import sign_in

from core.audit import Actor
from core.extensions import db
from proposals import groups as ops
from proposals import operations
from proposals.evaluations import Evaluation
from proposals.groups import Consent, GroupMembership, ProposalGroup


@pytest.fixture
def window_user(make_user):
    return make_user("window")


@pytest.fixture
def three(make_proposal):
    """Three proposals on foreign residents' procedures, in Kawasaki and Miyamae wards."""
    return [
        make_proposal(title="多言語の窓口同行", wards=("ward-kawasaki",)),
        make_proposal(title="やさしい日本語の書類教室", wards=("ward-kawasaki",)),
        make_proposal(title="外国人ママの子育て手続き相談", wards=("ward-miyamae",)),
    ]


def client_of(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def test_the_window_creates_a_group_from_reference_numbers_and_the_list(app, window_user, three):
    client = client_of(app, window_user)
    page = client.get(f"/window/groups?refs={three[0].reference},{three[1].reference.lower()}").get_data(as_text=True)
    assert three[0].reference in page and "外国人ママの子育て手続き相談" in page  # typed refs and the list
    response = client.post("/window/groups", data={
        "group-name": "外国人住民の手続き支援", "group-description": "同じ手続きを別々に支えてきた団体",
        "group-slug": "foreign-residents", "add-references": f"{three[0].reference}、{three[1].reference.lower()}",
        "add-proposals": [str(three[2].id)]})
    assert response.status_code == 302
    group = db.session.scalar(sa.select(ProposalGroup))
    assert {m.proposal_id for m in group.memberships} == {p.id for p in three}
    page = client.get(f"/window/groups/{group.id}").get_data(as_text=True)
    assert "2区にまたがる" in page and "川崎区" in page and "宮前区" in page


def test_an_unknown_reference_is_named_and_nothing_is_added(app, window_user, three):
    client = client_of(app, window_user)
    group = ops.create_group("g", "", Actor.of_user(window_user))
    db.session.commit()
    response = client.post(f"/window/groups/{group.id}/members",
                           data={"add-references": f"{three[0].reference} KW-1999-000001"})
    assert response.status_code == 400
    assert "受付番号 KW-1999-000001 の提案が見つかりません。" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMembership)) == 0
    response = client.post(f"/window/groups/{group.id}/members", data={"add-references": ""})
    assert response.status_code == 400 and "一覧から提案を選んでください" in response.get_data(as_text=True)


def test_a_blank_name_is_refused_with_the_field_named(app, window_user):
    response = client_of(app, window_user).post("/window/groups", data={"group-name": " "})
    assert response.status_code == 400 and "グループ名を入力してください。" in response.get_data(as_text=True)


def test_departments_see_the_groups_of_their_own_proposals_only(app, make_user, window_user, three):
    window = Actor.of_user(window_user)
    operations.assign(three[2], department_id("ward-miyamae"), [], window)
    group = ops.create_group("外国人住民の手続き支援", "", window)
    for proposal in three:
        ops.add_member(group, proposal, window)
    db.session.commit()
    miyamae = client_of(app, make_user("department_staff", "ward-miyamae"))
    inbox_page = miyamae.get(f"/inbox/proposals/{three[2].id}").get_data(as_text=True)
    assert f"/window/groups/{group.id}" in inbox_page and "外国人住民の手続き支援" in inbox_page
    page = miyamae.get(f"/window/groups/{group.id}").get_data(as_text=True)
    assert "多言語の窓口同行" in page  # the other members' outline
    assert "提案団体" not in page and three[0].organisation.name not in page  # no organisations, no consent
    assert "紹介のメールを送る" not in page and "提案を追加" not in page  # read only
    assert f"/inbox/proposals/{three[2].id}" in page and f"/inbox/proposals/{three[0].id}" not in page
    other = client_of(app, make_user("department_staff", "kankyo"))
    assert other.get(f"/window/groups/{group.id}").status_code == 404
    assert miyamae.post(f"/window/groups/{group.id}/publish", data={"value": "1"}).status_code == 403
    assert client_of(app, three[0].created_by).get(f"/window/groups/{group.id}").status_code == 403


def test_the_applicant_consents_and_then_sees_the_other_consenting_members(app, window_user, three):
    window = Actor.of_user(window_user)
    group = ops.create_group("外国人住民の手続き支援", "", window)
    members = [ops.add_member(group, proposal, window) for proposal in three]
    ops.set_consent(members[1], True, Actor.of_user(three[1].created_by))
    ops.set_consent(members[2], False, Actor.of_user(three[2].created_by))
    db.session.commit()
    applicant = client_of(app, three[0].created_by)
    page = applicant.get(f"/my/proposals/{three[0].reference}").get_data(as_text=True)
    assert "外国人住民の手続き支援" in page and "協働グループに加わりました" in page
    assert "やさしい日本語の書類教室" not in page  # nothing of the others before consenting
    response = applicant.post(f"/my/proposals/{three[0].reference}/groups/{group.id}/consent", data={"consent": "yes"})
    assert response.status_code == 302
    db.session.refresh(members[0])
    assert members[0].consent == Consent.GIVEN
    page = applicant.get(f"/my/proposals/{three[0].reference}").get_data(as_text=True)
    assert "やさしい日本語の書類教室" in page and three[1].organisation.name in page
    assert "外国人ママの子育て手続き相談" not in page  # declined: never shown
    other = client_of(app, three[2].created_by)
    assert other.post(f"/my/proposals/{three[0].reference}/groups/{group.id}/consent",
                      data={"consent": "yes"}).status_code == 404


def test_the_public_page_lists_only_published_members_and_their_evaluations(app, client, window_user, make_proposal):
    window = Actor.of_user(window_user)
    shown = make_proposal(title="公開の提案", consent_publish=True, publication_approved=True)
    hidden = make_proposal(title="非公開の提案", consent_publish=True)
    db.session.add(Evaluation(proposal_id=shown.id, summary="参加者が倍になりました。",
                              indicators=[{"name": "参加者数", "target": "100人", "actual": "212人"}]))
    group = ops.create_group("外国人住民の手続き支援", "区をこえて", window, slug="foreign-residents")
    ops.add_member(group, shown, window)
    ops.add_member(group, hidden, window)
    db.session.commit()
    assert client.get("/groups/foreign-residents").status_code == 404  # not published yet
    ops.set_published(group, True, window)
    db.session.commit()
    page = client.get("/groups/foreign-residents").get_data(as_text=True)
    assert "公開の提案" in page and "参加者が倍になりました。" in page and "212人" in page
    assert "非公開の提案" not in page and hidden.reference not in page


def test_the_dashboard_flags_open_groups_spanning_two_wards(app, make_user, window_user, three):
    window = Actor.of_user(window_user)
    group = ops.create_group("外国人住民の手続き支援", "", window)
    for proposal in three:
        ops.add_member(group, proposal, window)
    single = ops.create_group("宮前区の見守り", "", window)
    ops.add_member(single, three[2], window)
    db.session.commit()
    page = client_of(app, window_user).get("/window/dashboard").get_data(as_text=True)
    section = page.split('id="h-groups"', 1)[1]
    assert section.index("外国人住民の手続き支援") < section.index("宮前区の見守り")
    assert section.count("区にまたがる") == 1 and "2区にまたがる" in section


def test_publish_close_and_introduce_from_the_group_page(app, window_user, three):
    window = Actor.of_user(window_user)
    group = ops.create_group("外国人住民の手続き支援", "", window)
    members = [ops.add_member(group, proposal, window) for proposal in three[:2]]
    for member in members:
        ops.set_consent(member, True, Actor.of_user(member.proposal.created_by))
    db.session.commit()
    client = client_of(app, window_user)
    assert client.post(f"/window/groups/{group.id}/publish", data={"value": "1"}).status_code == 302
    response = client.post(f"/window/groups/{group.id}/introductions",
                           data={"intro-first": members[0].id, "intro-second": members[0].id})
    assert response.status_code == 409 and "異なる2件" in response.get_data(as_text=True)
    response = client.post(f"/window/groups/{group.id}/introductions",
                           data={"intro-first": members[0].id, "intro-second": members[1].id})
    assert response.status_code == 302
    assert client.post(f"/window/groups/{group.id}/state", data={"value": "close"}).status_code == 302
    db.session.refresh(group)
    assert group.published and not group.is_open
    assert client.post(f"/window/groups/{group.id}/state", data={"value": "nonsense"}).status_code == 400
