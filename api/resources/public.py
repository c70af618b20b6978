"""What everyone may read: the public catalogue (the open-data records),
statistics, the open-data document; and the routing preview (with a token).
Only public.exports decides which fields are public; this reads through it."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from api import schemas as s
from api.auth import token_required
from api.conditional import decode_cursor, encode_cursor, page_links
from api.platform import api_blueprint
from api.problems import ApiProblem
from core.extensions import db
from core.models import Department, Theme
from proposals.lifecycle import PublicState
from proposals.models import Proposal, ProposalTheme, ProposalWard
from public import exports, queries
from public import statistics as public_statistics
from routing.engine import InputError, evaluate
from routing.store import get_version, ruleset_data

blp = api_blueprint("api_public", __name__, "/api/v1", "Everyone: catalogue, statistics, open data, routing preview")


def _catalogue_condition(args: dict):
    condition = [queries.published()]
    if args.get("theme"):
        condition.append(Proposal.id.in_(sa.select(ProposalTheme.proposal_id).join(Theme)
                                         .where(Theme.code == args["theme"])))
    if args.get("ward"):
        condition.append(Proposal.id.in_(sa.select(ProposalWard.proposal_id)
                                         .join(Department, Department.id == ProposalWard.ward_id)
                                         .where(Department.code == args["ward"])))
    if args.get("status"):
        if args["status"] not in {p.value for p in PublicState}:
            raise ApiProblem(422, errors=[{"field": "status", "message": _l("公開の状態コード（例: adopted）を指定してください。")}])
        condition.append(Proposal.state.in_(queries.internal_states(PublicState(args["status"]))))
    if args.get("fy"):
        condition.append(Proposal.fiscal_year == args["fy"])
    return sa.and_(*condition)


@blp.route("/catalogue", methods=["GET"])
@blp.arguments(s.CatalogueArgs, location="query")
@blp.response(200, s.CataloguePage)
def catalogue(args):
    """Published proposals as public records (the open-data schema), oldest first."""
    after = decode_cursor(args.get("cursor")) or 0
    # public.exports reads public columns only, in id order, after a given id.
    records = exports._records(_catalogue_condition(args), after_id=after, limit=args["limit"] + 1)
    more = len(records) > args["limit"]
    records = records[:args["limit"]]
    next_cursor = encode_cursor(records[-1][0]) if more and records else None
    return {"items": [r for _, r in records], "next_cursor": next_cursor}, 200, page_links(next_cursor)


@blp.route("/catalogue/<reference>", methods=["GET"])
@blp.response(200, s.PublicRecord)
@blp.alt_response(404, description="Not published")
def catalogue_entry(reference: str):
    proposal = queries.published_proposal(reference[:40])
    if proposal is None:
        raise ApiProblem(404, detail=_l("公開されている提案の中に、この受付番号はありません。"))
    return exports.public_record(proposal)


def _plain(rows: list[dict]) -> list[dict]:
    """Statistics rows with the named objects as codes and names."""
    out = []
    for row in rows:
        item = {}
        for key, value in row.items():
            item[key] = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
        out.append(item)
    return out


@blp.route("/statistics", methods=["GET"])
@blp.arguments(s.StatisticsArgs, location="query")
@blp.response(200, s.Statistics)
def statistics(args):
    """The figures of the statistics page (per fiscal year, ward, theme, kind of organisation)."""
    fy = args.get("fy")
    return {"totals": public_statistics.totals(fy), "by_fiscal_year": public_statistics.by_fiscal_year(),
            "by_ward": _plain(public_statistics.by_ward(fy)), "by_theme": _plain(public_statistics.by_theme(fy)),
            "by_organisation_kind": _plain(public_statistics.by_organisation_kind(fy))}


@blp.route("/open-data", methods=["GET"])
@blp.response(200, s.OpenData)
def open_data():
    """The open-data JSON document (CC BY 4.0), as /open-data/proposals.json."""
    return exports.json_document(exports.published_records())


@blp.route("/routing/preview", methods=["POST"])
@token_required("read")
@blp.arguments(s.RoutingPreviewArgs, location="query")
@blp.arguments(s.RoutingPreviewIn)
@blp.response(200, s.DecisionOut)
@blp.alt_response(400, description="Not a proposal")
@blp.alt_response(404, description="No such ruleset")
def routing_preview(args, body):
    """Route one proposal (reference/proposal.md shape) without saving anything."""
    which = args["ruleset"]
    version = get_version(which)
    if version is None:
        raise ApiProblem(404, detail=_l("ルールセット「%(which)s」はありません。", which=which))
    try:
        decision = evaluate(dict(body), ruleset_data(version))
    except InputError as error:
        raise ApiProblem(400, detail=str(error)) from None
    finally:
        db.session.rollback()
    return decision.to_json()
