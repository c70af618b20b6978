"""/api/v1/groups: the window's groups of proposals (collective impact),
read only, for window staff tokens; the same data as /window/groups
(proposals/groups.py, docs/groups.md). The schemas live here rather than in
api/schemas.py, which is long enough."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import fields as f
from marshmallow import validate as v
from sqlalchemy.orm import selectinload

from api import schemas as s
from api.auth import WINDOW_ROLES, token_required
from api.conditional import page_links, page_of
from api.platform import api_blueprint
from api.problems import ApiProblem
from core.extensions import db
from proposals.group_queries import group_wards, wards_of
from proposals.groups import GroupMembership, GroupState, ProposalGroup

blp = api_blueprint("api_groups", __name__, "/api/v1/groups", "The window: groups of proposals (collective impact)")


class GroupArgs(s.PageArgs):
    state = s.Str(validate=v.OneOf(["open", "closed", "all"]), load_default="open")


class GroupMemberOut(ma.Schema):
    proposal_id = f.Integer(required=True)
    reference = s.Str(allow_none=True)
    title = s.Str()
    organisation = s.Str(allow_none=True)
    state = s.Str()
    wards = f.List(s.Str(), metadata={"description": "ward office codes"})
    lead_department = s.Str(allow_none=True, metadata={"description": "department code"})
    consent = s.Str(validate=v.OneOf(["pending", "given", "declined"]),
                    metadata={"description": "the applicant's consent to be seen by, and introduced to, other members"})
    added_at = f.DateTime()


class GroupOut(ma.Schema):
    id = f.Integer(required=True)
    slug = s.Str()
    name = s.Str()
    description = s.Str()
    state = s.Str(validate=v.OneOf(["open", "closed"]))
    published = f.Boolean()
    public_url = s.Str(allow_none=True, metadata={"description": "the public page, when published"})
    wards = f.List(s.Str(), metadata={"description": "ward office codes of all members"})
    spans_wards = f.Boolean(metadata={"description": "true when the members work in two or more wards"})
    member_count = f.Integer()
    created_at = f.DateTime()
    updated_at = f.DateTime()


class GroupDetailOut(GroupOut):
    members = f.List(f.Nested(GroupMemberOut), required=True)


class GroupPage(ma.Schema):
    items = f.List(f.Nested(GroupOut), required=True)
    next_cursor = s.Str(allow_none=True, required=True)


def _member_out(membership: GroupMembership) -> dict:
    proposal = membership.proposal
    return {
        "proposal_id": proposal.id, "reference": proposal.reference, "title": proposal.title,
        "organisation": proposal.organisation.name if proposal.organisation else None,
        "state": proposal.state.value, "wards": [w.code for w in wards_of(proposal)],
        "lead_department": proposal.lead_department.code if proposal.lead_department else None,
        "consent": membership.consent.value, "added_at": membership.added_at,
    }


def _group_out(group: ProposalGroup) -> dict:
    wards = [w.code for w in group_wards(group)]
    return {
        "id": group.id, "slug": group.slug, "name": group.name, "description": group.description,
        "state": group.state.value, "published": group.published,
        "public_url": f"/groups/{group.slug}" if group.published else None,
        "wards": wards, "spans_wards": len(wards) >= 2, "member_count": len(group.memberships),
        "created_at": group.created_at, "updated_at": group.updated_at,
    }


@blp.route("", methods=["GET"])
@token_required("read", roles=WINDOW_ROLES)
@blp.arguments(GroupArgs, location="query")
@blp.response(200, GroupPage)
def list_groups(args):
    """Groups of proposals (open by default), newest first, with their wards."""
    query = sa.select(ProposalGroup).options(selectinload(ProposalGroup.memberships))
    if args["state"] != "all":
        query = query.where(ProposalGroup.state == GroupState(args["state"]))
    rows, next_cursor = page_of(query, ProposalGroup.id, cursor=args.get("cursor"), limit=args["limit"])
    return {"items": [_group_out(g) for g in rows], "next_cursor": next_cursor}, 200, page_links(next_cursor)


@blp.route("/<int:group_id>", methods=["GET"])
@token_required("read", roles=WINDOW_ROLES)
@blp.response(200, GroupDetailOut)
@blp.alt_response(404, description="No such group")
def get_group(group_id: int):
    """One group with its members: ward, lead department, state and the applicant's consent."""
    group = db.session.get(ProposalGroup, group_id)
    if group is None:
        raise ApiProblem(404, detail=_l("グループ %(id)s は見つかりません。", id=group_id))
    return {**_group_out(group), "members": [_member_out(m) for m in group.memberships]}
