"""Operations of the rule administration: ruleset versions (draft, rules, publish, rollback), the
dictionary of keywords, theme owners, and the backtest of a version against past decisions. As in
routing/operations.py, each takes the actor explicitly, flushes (never commits) and writes an audit
event; the caller commits once."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from core.audit import Actor, record_event
from core.columns import utcnow
from core.extensions import db
from core.models import Department, Theme
from proposals.models import Proposal
from routing.conditions import RuleFormatError, validate_actions, validate_tree
from routing.engine import evaluate_many
from routing.models import (
    Keyword,
    Rule,
    RulesetStatus,
    RulesetVersion,
)
from routing.operations import RoutingError
from routing.store import get_version, proposal_input, ruleset_data

# --- rulesets ------------------------------------------------------------------------------------

def next_version_number() -> int:
    return (db.session.scalar(sa.select(sa.func.max(RulesetVersion.version))) or 0) + 1


def _copy_rules(source: RulesetVersion, target: RulesetVersion) -> None:
    for rule in source.rules:
        target.rules.append(Rule(key=rule.key, name=rule.name, description=rule.description, priority=rule.priority,
                                 condition=rule.condition, actions=rule.actions, stop=rule.stop, active=rule.active))


def create_draft(actor: Actor, from_version: RulesetVersion | None = None) -> RulesetVersion:
    """A new draft, copied from the published version (or the one given)."""
    if get_version("draft") is not None:
        raise RoutingError(_l("下書きはすでにあります。下書きを公開するか破棄してから作成してください。"))
    source = from_version or get_version("published")
    draft = RulesetVersion(version=next_version_number(), status=RulesetStatus.DRAFT,
                           author_id=actor.user.id if actor.user else None,
                           based_on_version=source.version if source else None)
    if source is not None:
        _copy_rules(source, draft)
    db.session.add(draft)
    db.session.flush()
    record_event(actor, "ruleset_draft_created", data={"version": draft.version, "based_on": draft.based_on_version})
    return draft


def discard_draft(draft: RulesetVersion, actor: Actor) -> None:
    if not draft.is_draft:
        raise RoutingError(_l("公開済みの版は削除できません。"))
    record_event(actor, "ruleset_draft_discarded", data={"version": draft.version})
    db.session.delete(draft)
    db.session.flush()


def save_rule(draft: RulesetVersion, actor: Actor, fields: dict, rule: Rule | None = None) -> Rule:
    if not draft.is_draft:
        raise RoutingError(_l("公開済みの版は変更できません。下書きを作成してください。"))
    try:
        validate_tree(fields["condition"])
        validate_actions(fields["actions"])
    except RuleFormatError as error:
        raise RoutingError(_l("ルールの形式が正しくありません: %(error)s", error=str(error))) from error
    if rule is None:
        rule = Rule()
        draft.rules.append(rule)
    elif rule.ruleset_id != draft.id:
        raise RoutingError(_l("このルールは下書きに属していません。"))
    for name in ("name", "description", "priority", "condition", "actions", "stop"):
        setattr(rule, name, fields[name])
    db.session.flush()
    record_event(actor, "rule_saved", data={"version": draft.version, "rule_id": rule.id, "name": rule.name})
    return rule


def delete_rule(draft: RulesetVersion, rule: Rule, actor: Actor) -> None:
    if not draft.is_draft or rule.ruleset_id != draft.id:
        raise RoutingError(_l("公開済みの版は変更できません。下書きを作成してください。"))
    draft.rules.remove(rule)
    db.session.flush()
    record_event(actor, "rule_deleted", data={"version": draft.version, "name": rule.name})


def publish(draft: RulesetVersion, actor: Actor, note: str) -> RulesetVersion:
    """The draft becomes the published version (immutable); the previous one retires."""
    note = (note or "").strip()
    if not note:
        raise RoutingError(_l("公開の説明（変更点）を入力してください。"))
    if not draft.is_draft:
        raise RoutingError(_l("この版はすでに公開されています。"))
    if not draft.rules:
        raise RoutingError(_l("ルールのない版は公開できません。"))
    current = get_version("published")
    if current is not None:
        current.status = RulesetStatus.RETIRED
        db.session.flush()
    draft.status, draft.note, draft.published_at = RulesetStatus.PUBLISHED, note, utcnow()
    draft.author_id = actor.user.id if actor.user else draft.author_id
    db.session.flush()
    record_event(actor, "ruleset_published", comment=note,
                 data={"version": draft.version, "previous": current.version if current else None})
    return draft


def rollback(to: RulesetVersion, actor: Actor, note: str = "") -> RulesetVersion:
    """Publish a copy of an older version as a new version (history stays intact)."""
    if to.is_draft:
        raise RoutingError(_l("下書きにはロールバックできません。"))
    draft = get_version("draft")
    if draft is not None:
        raise RoutingError(_l("下書きがあるためロールバックできません。先に下書きを公開するか破棄してください。"))
    copy = RulesetVersion(version=next_version_number(), status=RulesetStatus.DRAFT,
                          author_id=actor.user.id if actor.user else None, based_on_version=to.version)
    _copy_rules(to, copy)
    db.session.add(copy)
    db.session.flush()
    return publish(copy, actor, (note or "").strip() or f"v{to.version} へのロールバック")


# --- the dictionary --------------------------------------------------------------------------------

def add_keyword(actor: Actor, phrase: str, *, theme: Theme | None = None, ward: Department | None = None,
                weight: float = 1.0) -> Keyword:
    phrase = (phrase or "").strip()
    if not phrase:
        raise RoutingError(_l("語句を入力してください。"))
    query = sa.select(Keyword).where(Keyword.phrase == phrase)
    query = query.where(Keyword.theme_id == theme.id) if theme else query.where(Keyword.theme_id.is_(None))
    query = query.where(Keyword.ward_id == ward.id) if ward else query.where(Keyword.ward_id.is_(None))
    existing = db.session.scalar(query)
    if existing is not None:
        existing.active, existing.weight = True, weight
        keyword = existing
    else:
        keyword = Keyword(phrase=phrase, theme=theme, ward=ward, weight=weight)
        db.session.add(keyword)
    db.session.flush()
    record_event(actor, "keyword_saved", data={"phrase": phrase, "theme": theme.code if theme else None,
                                               "ward": ward.code if ward else None, "weight": weight})
    return keyword


def remove_keyword(actor: Actor, keyword: Keyword) -> None:
    keyword.active = False
    db.session.flush()
    record_event(actor, "keyword_removed", data={"phrase": keyword.phrase, "id": keyword.id})


def set_theme_owner(theme: Theme, owner: Department | None, ward_level: bool, actor: Actor) -> None:
    """Who owns a theme, and whether a ward office may lead one-ward proposals
    on it: data the rules read (docs/routing-policy.md), changed by administrators."""
    before = {"owner": theme.owner.code if theme.owner else None, "ward_level": theme.ward_level}
    theme.owner_id = owner.id if owner else None
    theme.ward_level = bool(ward_level)
    db.session.flush()
    after = {"owner": owner.code if owner else None, "ward_level": theme.ward_level}
    if before != after:
        record_event(actor, "theme_owner_changed", data={"theme": theme.code, "from": before, "to": after})


# --- backtest ----------------------------------------------------------------------------------------

def backtest(version: RulesetVersion, last: int = 200) -> dict:
    """Run a ruleset over the last N submitted proposals and list those whose
    lead would change (compared with their current lead), with counts."""
    proposals = db.session.scalars(
        sa.select(Proposal).where(Proposal.submitted_at.is_not(None))
        .options(selectinload(Proposal.organisation), selectinload(Proposal.theme_links),
                 selectinload(Proposal.ward_links))
        .order_by(Proposal.submitted_at.desc(), Proposal.id.desc()).limit(max(1, min(last, 5000)))
    ).all()
    data = ruleset_data(version)
    codes = dict(db.session.execute(sa.select(Department.id, Department.code)).all())
    changed, gained, lost = [], {}, {}
    # One batch: each text analysed once, the learned model's views worked out together.
    decisions = evaluate_many([proposal_input(p) for p in proposals], data)
    for proposal, decision in zip(proposals, decisions, strict=True):
        current = codes.get(proposal.lead_department_id)
        if decision.lead != current:
            changed.append({"proposal": proposal, "from": current, "to": decision.lead,
                            "rule": (decision.lead_rule or {}).get("name"), "confidence": decision.confidence})
            gained[decision.lead] = gained.get(decision.lead, 0) + 1
            if current:
                lost[current] = lost.get(current, 0) + 1
    departments = sorted(set(gained) | set(lost))
    counts = [{"department": d, "gained": gained.get(d, 0), "lost": lost.get(d, 0),
               "net": gained.get(d, 0) - lost.get(d, 0)} for d in departments]
    return {"version": version.version, "total": len(proposals), "changed": changed, "counts": counts}
