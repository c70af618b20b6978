"""/api/v1/groups: the window's groups, read only, for window staff tokens;
departments and applicants are refused; the members carry ward, lead
department and consent."""

from __future__ import annotations

from api_helpers import Api, token_for

from core.audit import Actor
from core.extensions import db
from proposals import groups as ops


def _group(make_user, make_proposal):
    window = Actor.of_user(make_user("window"))
    group = ops.create_group("外国人住民の手続き支援", "区をこえて", window, slug="foreign-residents")
    ops.add_member(group, make_proposal(wards=("ward-kawasaki",)), window)
    ops.add_member(group, make_proposal(wards=("ward-miyamae",)), window)
    closed = ops.create_group("終わったグループ", "", window)
    ops.close_group(closed, window)
    db.session.commit()
    return group, closed


def test_window_staff_read_groups_and_their_members(client, make_user, make_proposal):
    group, closed = _group(make_user, make_proposal)
    api = Api(client, token_for(make_user("window"), scopes=("read",)))
    listing = api.get("/api/v1/groups")
    assert listing.status_code == 200
    [item] = listing.json["items"]
    assert item["name"] == "外国人住民の手続き支援" and item["spans_wards"] and item["member_count"] == 2
    assert set(item["wards"]) == {"ward-kawasaki", "ward-miyamae"} and item["public_url"] is None
    assert [g["id"] for g in api.get("/api/v1/groups?state=all").json["items"]] == [closed.id, group.id]
    detail = api.get(f"/api/v1/groups/{group.id}").json
    assert [m["wards"] for m in detail["members"]] == [["ward-kawasaki"], ["ward-miyamae"]]
    assert {m["consent"] for m in detail["members"]} == {"pending"}
    missing = api.get("/api/v1/groups/999999")
    assert missing.status_code == 404 and missing.json["detail"] == "グループ 999999 は見つかりません。"
    assert api.get("/api/v1/groups?state=nonsense").status_code == 422


def test_departments_applicants_and_no_token_are_refused(client, make_user, make_proposal):
    group, _ = _group(make_user, make_proposal)
    assert Api(client, None).get("/api/v1/groups").status_code == 401
    for user in (make_user("department_staff", department="ward-miyamae"), make_user("applicant")):
        api = Api(client, token_for(user))
        assert api.get("/api/v1/groups").status_code == 403
        assert api.get(f"/api/v1/groups/{group.id}").status_code == 403
