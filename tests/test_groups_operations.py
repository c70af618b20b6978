"""Groups of proposals (proposals/groups.py): each operation writes an audit
event naming its actor; consent decides what members see of each other;
introductions go only between consenting members, by one email to each."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.audit import Actor
from core.extensions import db
from core.models import Event, OutboxEmail
from proposals import groups as ops
from proposals.group_queries import (
    group_wards,
    open_groups,
    other_consenting_members,
    published_members,
)
from proposals.groups import Consent, GroupError, GroupState


@pytest.fixture
def window(make_user):
    return Actor.of_user(make_user("window"))


def events(kind: str) -> list[Event]:
    return db.session.scalars(sa.select(Event).where(Event.kind == kind).order_by(Event.id)).all()


def test_each_operation_writes_an_event_naming_the_actor(window, make_proposal):
    proposal = make_proposal()
    group = ops.create_group("外国人住民の手続き支援", "同じ手続きを支える団体", window, slug="foreign-residents")
    ops.add_member(group, proposal, window)
    ops.set_published(group, True, window)
    ops.close_group(group, window)
    ops.reopen_group(group, window)
    ops.remove_member(group.memberships[0], window)
    db.session.commit()
    for kind in ("group_created", "group_member_added", "group_published", "group_closed", "group_reopened",
                 "group_member_removed"):
        [event] = events(kind)
        assert event.actor_user_id == window.user.id and event.data["group_id"] == group.id, kind
    assert events("group_member_added")[0].proposal_id == proposal.id
    # The applicant sees on the timeline that the proposal joined a group; the rest is the window's.
    assert events("group_member_added")[0].public and not events("group_member_removed")[0].public
    # …and hears of it by email, told what joining means (intake's update email, in the same transaction).
    [told] = db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.idempotency_key == f"intake:event:{events('group_member_added')[0].id}:{proposal.created_by_id}"))
    assert told.to_address == proposal.created_by.email and "協働グループに加わりました" in told.body_text


def test_bad_names_and_addresses_are_refused_with_the_field_named(window):
    with pytest.raises(GroupError, match="グループ名"):
        ops.create_group("   ", "", window)
    with pytest.raises(GroupError, match="公開ページのアドレス"):
        ops.create_group("名前", "", window, slug="日本語")
    ops.create_group("一つ目", "", window, slug="taken")
    with pytest.raises(GroupError, match="taken"):
        ops.create_group("二つ目", "", window, slug="taken")
    assert ops.create_group("自動", "", window).slug.startswith("g-")


def test_a_proposal_joins_once_and_not_as_a_draft_nor_into_a_closed_group(window, make_proposal):
    group = ops.create_group("子育て", "", window)
    proposal = make_proposal()
    ops.add_member(group, proposal, window)
    with pytest.raises(GroupError, match="すでに"):
        ops.add_member(group, proposal, window)
    with pytest.raises(GroupError, match="下書き"):
        ops.add_member(group, make_proposal(state="draft"), window)
    ops.close_group(group, window)
    with pytest.raises(GroupError, match="終了"):
        ops.add_member(group, make_proposal(), window)


def test_only_the_applicant_consents_and_only_consenting_members_see_each_other(window, make_proposal, make_user):
    group = ops.create_group("外国人住民の手続き支援", "", window)
    first, second, third = (ops.add_member(group, make_proposal(), window) for _ in range(3))
    with pytest.raises(GroupError):
        ops.set_consent(first, True, window)  # staff cannot consent for an applicant
    with pytest.raises(GroupError):
        ops.set_consent(first, True, Actor.of_user(make_user("applicant")))  # nor another organisation
    ops.set_consent(first, True, Actor.of_user(first.proposal.created_by))
    ops.set_consent(second, True, Actor.of_user(second.proposal.created_by))
    ops.set_consent(third, False, Actor.of_user(third.proposal.created_by))
    db.session.commit()
    assert [m.id for m in other_consenting_members(first)] == [second.id]
    assert other_consenting_members(third) == []  # who declines sees nobody either
    assert third.consent == Consent.DECLINED
    [given, _] = events("group_consent_given")
    assert given.actor_user_id == first.proposal.created_by_id and events("group_consent_declined")


def test_an_introduction_emails_both_consenting_members_once(window, make_proposal):
    group = ops.create_group("外国人住民の手続き支援", "", window)
    first = ops.add_member(group, make_proposal(title="多言語の窓口同行", contact_email="a@example.org"), window)
    second = ops.add_member(group, make_proposal(title="やさしい日本語の書類教室", contact_email="b@example.org"),
                            window)
    with pytest.raises(GroupError, match="同意"):
        ops.introduce(first, second, window)
    for member in (first, second):
        ops.set_consent(member, True, Actor.of_user(member.proposal.created_by))
    ops.introduce(first, second, window, note="川崎区と宮前区で同じ課題に取り組んでいます。")
    db.session.commit()
    emails = {e.to_address: e for e in db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.idempotency_key.like("group-introduction:%")))}
    assert set(emails) == {"a@example.org", "b@example.org"}
    assert "やさしい日本語の書類教室" in emails["a@example.org"].body_text  # each learns of the other
    assert "b@example.org" in emails["a@example.org"].body_text
    assert "多言語の窓口同行" in emails["b@example.org"].body_text
    assert "外国人住民の手続き支援" in emails["a@example.org"].subject
    assert {e.proposal_id for e in events("group_introduction")} == {first.proposal_id, second.proposal_id}
    assert all(e.actor_user_id == window.user.id for e in events("group_introduction"))
    with pytest.raises(GroupError, match="紹介済み"):
        ops.introduce(second, first, window)


def test_public_members_are_those_the_catalogue_shows(window, make_proposal):
    group = ops.create_group("g", "", window)
    shown = ops.add_member(group, make_proposal(consent_publish=True, publication_approved=True), window)
    ops.add_member(group, make_proposal(consent_publish=True), window)  # consent but no approval
    ops.add_member(group, make_proposal(), window)
    assert [m.id for m in published_members(group)] == [shown.id]


def test_the_dashboard_flags_groups_spanning_two_wards(window, make_proposal):
    one_ward = ops.create_group("宮前区だけ", "", window)
    for _ in range(2):
        ops.add_member(one_ward, make_proposal(wards=("ward-miyamae",)), window)
    two_wards = ops.create_group("二つの区", "", window)
    ops.add_member(two_wards, make_proposal(wards=("ward-kawasaki",)), window)
    ops.add_member(two_wards, make_proposal(wards=("ward-miyamae",)), window)
    closed = ops.create_group("終了", "", window)
    ops.close_group(closed, window)
    db.session.commit()
    overview = open_groups()
    assert [o.group.name for o in overview] == ["二つの区", "宮前区だけ"]  # flagged first; closed left out
    assert [o.spans_wards for o in overview] == [True, False]
    assert {w.code for w in group_wards(two_wards)} == {"ward-kawasaki", "ward-miyamae"}
    assert overview[0].group.state == GroupState.OPEN and len(overview[0].wards) == 2
