"""A published group's public page (/groups/<slug>): what the group works
on, and its members that the catalogue shows (consent and approval, the same
condition) with their evaluations. Nothing else of a member is shown."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from proposals.group_queries import evaluations_of, published_group, published_members, wards_of

bp = Blueprint("groups_public", __name__)


@bp.route("/groups/<slug>")
def group_page(slug: str):
    group = published_group(slug) or abort(404)
    members = published_members(group)
    return render_template("groups/public.html", group=group, members=members, wards_of=wards_of,
                           evaluations=evaluations_of([m.proposal_id for m in members]))
