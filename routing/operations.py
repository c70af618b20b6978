"""Operations of the routing room. Each takes the actor explicitly, flushes
(never commits) and writes an audit event; the caller commits once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.audit import Actor, record_event
from core.extensions import db
from core.models import ActorKind, Department, Event, Role
from proposals import operations as proposal_ops
from proposals.lifecycle import Transition
from proposals.models import Assignment, AssignmentStatus, Proposal, State
from routing.engine import Decision, evaluate
from routing.models import (
    DecisionKind,
    Misroute,
    ProposalLink,
    RoutingRecord,
    Rule,
    RulesetVersion,
)
from routing.store import department_ids, get_version, proposal_input, ruleset_data

TRIAGE_STATES = (State.SUBMITTED, State.TRIAGE)


class RoutingError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- routing a proposal ----------------------------------------------------------------------

def route(proposal: Proposal, version: RulesetVersion | None = None) -> Decision | None:
    """Evaluate the published (or given) ruleset, store the decision on the
    proposal and in the routing history, and write an event naming the
    ruleset version and the rule that chose the lead."""
    version = version or get_version("published")
    if version is None:
        return None
    decision = evaluate(proposal_input(proposal), ruleset_data(version))
    ids = department_ids([decision.lead, *decision.co])
    payload = decision.to_json()
    proposal.routing_decision = payload
    proposal.ruleset_version = version.version
    proposal.needs_triage = decision.needs_triage
    proposal.lead_department_id = ids.get(decision.lead)
    lead_rule = decision.lead_rule or {}
    db.session.add(RoutingRecord(
        proposal_id=proposal.id, kind=DecisionKind.ROUTED, ruleset_version=version.version,
        lead_id=ids.get(decision.lead), co_codes=decision.co, primary_theme=decision.primary_theme,
        confidence=decision.confidence, needs_triage=decision.needs_triage,
        lead_rule_id=lead_rule.get("id"), lead_rule_key=lead_rule.get("key"), model_version=decision.model_version,
    ))
    record_event(
        Actor.rule(version.version, lead_rule.get("name")), "routed", proposal_id=proposal.id,
        department_id=ids.get(decision.lead),
        data={"lead": decision.lead, "co": decision.co, "confidence": decision.confidence,
              "needs_triage": decision.needs_triage, "themes": decision.themes,
              "ruleset_version": version.version, "model_version": decision.model_version},
    )
    return decision


def on_submitted(proposal: Proposal, **_: Any) -> None:
    """Receiver of proposals.operations.proposal_submitted."""
    decision = route(proposal)
    if decision is None:
        proposal_ops.transition(proposal, State.TRIAGE, Actor.system("routing: no published ruleset"))
        return
    threshold = current_app.config.get("AUTO_ROUTE_CONFIDENCE")
    version = proposal.ruleset_version
    if threshold is not None and not decision.needs_triage and decision.confidence > float(threshold):
        ids = department_ids([decision.lead, *decision.co])
        lead_rule = (decision.lead_rule or {}).get("name")
        proposal_ops.assign(
            proposal, ids[decision.lead], [ids[c] for c in decision.co if c in ids],
            Actor.rule(version, lead_rule),
            reason=f"自動振り分け（確信度 {decision.confidence} > {threshold}）",
        )
        return
    proposal_ops.transition(proposal, State.TRIAGE, Actor.system(f"routing ruleset v{version}"),
                            data={"ruleset_version": version})


# --- the triage desk ---------------------------------------------------------------------------

def latest_record(proposal_id: int) -> RoutingRecord | None:
    return db.session.scalar(
        sa.select(RoutingRecord).where(RoutingRecord.proposal_id == proposal_id)
        .order_by(RoutingRecord.id.desc()).limit(1)
    )


@dataclass(frozen=True)
class HandBack:
    """A department said "not ours" and the proposal came back to triage:
    who refused it, why, and which department it suggested instead."""

    event: Event
    department_id: int | None  # the department that refused it
    suggested_id: int | None  # the department it suggested (None: it did not know)
    reason: str | None

    @property
    def at(self):
        return self.event.created_at


def hand_back(proposal: Proposal) -> HandBack | None:
    """The department hand-back that put the proposal where it is now
    (the last move into triage came from a department), or None."""
    if proposal.state not in TRIAGE_STATES:
        return None
    event = db.session.scalar(
        sa.select(Event).where(Event.proposal_id == proposal.id, Event.kind == "state_changed",
                               Event.to_state == State.TRIAGE.value)
        .order_by(Event.id.desc()).limit(1)
    )
    if event is None or event.from_state not in (State.ASSIGNED.value, State.IN_CONSULTATION.value):
        return None
    data = event.data or {}
    refused = data.get("returned_by_department_id")
    if refused is None and event.actor_user is not None and event.actor_user.role in DEPARTMENT_ROLES:
        refused = event.actor_user.department_id
    if refused is None:
        return None  # the window itself took it back: nobody refused it
    suggested = data.get("suggested_department_id")
    if suggested is not None:
        row = db.session.get(Department, suggested)
        suggested = row.id if row is not None and row.active and row.id != refused else None
    return HandBack(event=event, department_id=refused, suggested_id=suggested, reason=event.comment)


def refusing_departments(proposal_id: int) -> set[int]:
    """Departments that gave this proposal back (lead "not ours" or a
    co-department's own part): never proposed again without a staff decision."""
    return set(db.session.scalars(sa.select(Assignment.department_id).where(
        Assignment.proposal_id == proposal_id, Assignment.status == AssignmentStatus.RETURNED)))


def pending_hand_back(proposal: Proposal, back: HandBack | None = None) -> HandBack | None:
    """The hand-back (`back`, when the caller has looked it up already),
    unless window staff have saved a routing since."""
    back = back or hand_back(proposal)
    record = latest_record(proposal.id)
    if back is None or (record is not None and record.created_at > back.at):
        return None
    return back


def proposed_routing(proposal: Proposal) -> tuple[int | None, list[int]]:
    """The lead and co-departments proposed now: the last staff change, or the
    engine's; after a hand-back, the department the refusing one suggested
    (None when it suggested none: staff must choose), never the one that refused."""
    record = latest_record(proposal.id)
    back = pending_hand_back(proposal)
    if back is not None:
        refused = refusing_departments(proposal.id) | {back.department_id}
        lead = back.suggested_id if back.suggested_id not in refused else None
        co = list(department_ids(record.co_codes).values()) if record is not None else []
        return lead, [c for c in co if c not in refused and c != lead]
    if record is not None:
        co = list(department_ids(record.co_codes).values())
        return record.lead_id, co
    window = db.session.scalar(sa.select(Department.id).where(Department.code == "jichi"))
    return proposal.lead_department_id or window, []


def _check_open(proposal: Proposal, expected_version: int | None) -> Proposal:
    proposal = proposal_ops.lock_proposal(proposal.id)
    if expected_version is not None and proposal.lock_version != expected_version:
        raise proposal_ops.Conflict(_l("この提案は他の職員によって更新されました。"))
    if proposal.state not in TRIAGE_STATES:
        raise proposal_ops.Conflict(_l("この提案はすでに振り分けが終わっています。"))
    return proposal


def _codes_of(ids: list[int]) -> list[str]:
    if not ids:
        return []
    rows = dict(db.session.execute(sa.select(Department.id, Department.code).where(Department.id.in_(ids))).all())
    return [rows[i] for i in ids if i in rows]


def confirm(proposal: Proposal, actor: Actor, *, expected_version: int | None) -> list:
    """Accept the proposed routing and hand the proposal to the departments.
    After a hand-back this is the refusing department's suggestion; a plain
    confirmation never hands it back to the department that refused it."""
    proposal = _check_open(proposal, expected_version)
    lead_id, co_ids = proposed_routing(proposal)
    back = pending_hand_back(proposal)
    if lead_id is None or (back is not None and lead_id == back.department_id):
        raise RoutingError(_l("差し戻した部署は別の部署を提案していないため、このまま確認して割り当てることはできません。"
                              "「主担当・関係部署を変更する」で主担当を選び、理由を書いてください。"))
    routed = latest_record(proposal.id)
    # The rule is credited (and charged for a later misroute) only when its lead is the one confirmed.
    by_rule = routed is not None and routed.lead_id == lead_id
    db.session.add(RoutingRecord(
        proposal_id=proposal.id, kind=DecisionKind.CONFIRMED, ruleset_version=proposal.ruleset_version,
        model_version=routed.model_version if routed else None,
        lead_id=lead_id, co_codes=_codes_of(co_ids), user_id=actor.user.id if actor.user else None,
        primary_theme=routed.primary_theme if routed else None, confidence=routed.confidence if routed else None,
        lead_rule_id=routed.lead_rule_id if by_rule else None, lead_rule_key=routed.lead_rule_key if by_rule else None,
        reason="差し戻した部署の提案による" if back is not None and lead_id == back.suggested_id else None,
    ))
    data = {"lead": _codes_of([lead_id])[0], "co": _codes_of(co_ids)}
    if back is not None:
        data["suggested_by"] = (_codes_of([back.department_id]) or [None])[0]
    record_event(actor, "routing_confirmed", proposal_id=proposal.id, department_id=lead_id, data=data)
    return proposal_ops.assign(proposal, lead_id, co_ids, actor, expected_version=expected_version)


def change_routing(proposal: Proposal, actor: Actor, lead_id: int, co_ids: list[int], reason: str, *,
                   expected_version: int | None, assign: bool = True) -> list:
    """Window staff change the lead or co-departments (a reason is required
    and recorded), then assign, or keep the proposal in triage."""
    reason = (reason or "").strip()
    if not reason:
        raise proposal_ops.CommentRequired(_l("変更の理由を入力してください。"))
    proposal = _check_open(proposal, expected_version)
    co_ids = [c for c in dict.fromkeys(co_ids) if c != lead_id]
    before_lead, before_co = proposed_routing(proposal)
    routed = latest_record(proposal.id)
    db.session.add(RoutingRecord(
        proposal_id=proposal.id, kind=DecisionKind.OVERRIDDEN, ruleset_version=proposal.ruleset_version,
        model_version=routed.model_version if routed else None,
        lead_id=lead_id, co_codes=_codes_of(co_ids), user_id=actor.user.id if actor.user else None,
        primary_theme=routed.primary_theme if routed else None, reason=reason,
    ))
    proposal.lead_department_id = lead_id
    record_event(actor, "routing_overridden", proposal_id=proposal.id, department_id=lead_id, comment=reason,
                 data={"from": {"lead": (_codes_of([before_lead]) or [None])[0] if before_lead else None,
                                "co": _codes_of(before_co)},
                       "to": {"lead": _codes_of([lead_id])[0], "co": _codes_of(co_ids)}})
    if not assign:
        proposal.lock_version += 1  # others' forms show the old proposal: they must reload
        db.session.flush()
        return []
    return proposal_ops.assign(proposal, lead_id, co_ids, actor, reason=reason, expected_version=expected_version)


def link(proposal: Proposal, other: Proposal, actor: Actor, note: str = "") -> ProposalLink:
    if other.id == proposal.id:
        raise RoutingError(_l("同じ提案どうしは関連付けできません。"))
    low, high = sorted((proposal.id, other.id))
    existing = db.session.scalar(sa.select(ProposalLink).where(ProposalLink.proposal_id == low,
                                                               ProposalLink.related_id == high))
    if existing is not None:
        raise RoutingError(_l("この提案とはすでに関連付けられています。"))
    row = ProposalLink(proposal_id=low, related_id=high, note=(note or "").strip(),
                       created_by_id=actor.user.id if actor.user else None)
    db.session.add(row)
    db.session.flush()
    for this, that in ((proposal, other), (other, proposal)):
        record_event(actor, "proposal_linked", proposal_id=this.id, comment=row.note or None,
                     data={"related": that.reference})
    return row


def related_proposals(proposal: Proposal) -> list[Proposal]:
    rows = db.session.execute(
        sa.select(ProposalLink.proposal_id, ProposalLink.related_id).where(
            sa.or_(ProposalLink.proposal_id == proposal.id, ProposalLink.related_id == proposal.id))
    ).all()
    ids = {a if b == proposal.id else b for a, b in rows}
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.id)))


# --- misroutes ---------------------------------------------------------------------------------

DEPARTMENT_ROLES = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_MANAGER)


def on_transitioned(proposal: Proposal, transition: Transition, actor: Actor, event: Event, **_: Any) -> None:
    """A department sent the proposal back to triage: charge the rule that
    chose the lead (or the staff override, when staff chose it)."""
    if transition.target != State.TRIAGE or transition.source not in (State.ASSIGNED, State.IN_CONSULTATION):
        return
    if actor.kind != ActorKind.USER or actor.user is None or actor.user.role not in DEPARTMENT_ROLES:
        return
    records = db.session.scalars(
        sa.select(RoutingRecord).where(RoutingRecord.proposal_id == proposal.id).order_by(RoutingRecord.id.desc())
    ).all()
    last = records[0] if records else None
    overridden = last is not None and last.kind == DecisionKind.OVERRIDDEN
    rule_name = None
    if last is not None and last.lead_rule_id and not overridden:
        rule_name = db.session.scalar(sa.select(Rule.name).where(Rule.id == last.lead_rule_id))
    db.session.add(Misroute(
        proposal_id=proposal.id, event_id=event.id, department_id=actor.user.department_id,
        ruleset_version=last.ruleset_version if last else proposal.ruleset_version,
        rule_id=None if overridden or last is None else last.lead_rule_id,
        rule_key=None if overridden or last is None else last.lead_rule_key,
        rule_name=rule_name, overridden=overridden, reason=event.comment,
    ))
    proposal.needs_triage = True
    proposal.lead_department_id = None  # nobody leads it now: the desk proposes the suggested department
    db.session.flush()


def misroute_counts() -> dict[str, int]:
    """Misroutes per rule key (rules keep their key across versions)."""
    rows = db.session.execute(
        sa.select(Misroute.rule_key, sa.func.count()).where(Misroute.rule_key.is_not(None)).group_by(Misroute.rule_key)
    ).all()
    return dict(rows)
