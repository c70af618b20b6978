"""The registry of condition types and actions a rule may use.

Each condition type reads the facts the engine gathered about a proposal
(routing.facts.Facts) and answers true or false with a reason (a key and parameters, routing.reasons).
The rule editor builds its form from this registry, so adding a type here
makes it available to administrators without further code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l

from routing.reasons import reason

if TYPE_CHECKING:  # pragma: no cover
    from routing.facts import Facts

# What the editor shows for the value of a condition:
#   themes, wards, scopes, org_kinds, stages, supports: a list of codes
#   departments: a list of department codes
#   words: a list of words;  range: {"min": n, "max": n};  bool: true / false;  none: no value
Evaluator = Callable[["Facts", Any], tuple[bool, dict]]  # the reason: routing.reasons.reason()


@dataclass(frozen=True)
class ConditionType:
    name: str
    label: Any
    value_kind: str
    evaluate: Evaluator
    help: Any = ""


CONDITIONS: dict[str, ConditionType] = {}


def condition(name: str, label, value_kind: str, help=""):
    def register(fn: Evaluator) -> Evaluator:
        CONDITIONS[name] = ConditionType(name, label, value_kind, fn, help)
        return fn

    return register


def _codes(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def _range(value) -> tuple[float | None, float | None]:
    value = value or {}
    low, high = value.get("min"), value.get("max")
    return (float(low) if low not in (None, "") else None, float(high) if high not in (None, "") else None)


def _in_range(number: float | None, value) -> bool:
    low, high = _range(value)
    if number is None:
        return False
    return (low is None or number >= low) and (high is None or number <= high)


def _range_text(value) -> str:
    low, high = _range(value)
    fmt = lambda n: f"{n:,.0f}" if n is not None else ""  # noqa: E731
    return f"{fmt(low)}〜{fmt(high)}"


@condition("always", _l("常に（最後の受け皿）"), "none")
def _always(facts, value):
    return True, reason("always")


@condition("picked_theme", _l("申請者が選んだテーマ"), "themes")
def _picked_theme(facts, value):
    wanted = _codes(value)
    hits = [t for t in facts.picked if t in wanted]
    if hits:
        return True, reason("picked_theme", themes=hits)
    return False, reason("picked_theme_missing", picked=list(facts.picked), themes=wanted)


@condition("inferred_theme", _l("本文から読み取ったテーマ"), "themes")
def _inferred_theme(facts, value):
    wanted = _codes(value)
    hits = [t for t in wanted if facts.scores.get(t, 0) > 0]
    if hits:
        words = [w for t in hits for w in facts.words.get(t, [])][:5]
        return True, reason("inferred_theme", themes=hits, words=words)
    return False, reason("inferred_theme_missing", themes=wanted)


@condition("primary_theme", _l("主テーマ（判定結果）"), "themes")
def _primary_theme(facts, value):
    wanted = _codes(value)
    if facts.primary in wanted:
        return True, reason("primary_theme", theme=facts.primary)
    return False, reason("primary_theme_other", theme=facts.primary, themes=wanted)


@condition("theme_determined", _l("主テーマが判定できた"), "bool")
def _theme_determined(facts, value):
    result = facts.primary is not None
    if result:
        return result == bool(value), reason("theme_determined", theme=facts.primary, source=facts.primary_source)
    return result == bool(value), reason("theme_undetermined")


@condition("theme_conflict", _l("選択テーマと本文が食い違い、どちらとも決めきれない"), "bool")
def _theme_conflict(facts, value):
    if facts.conflict:
        picked = facts.picked[0] if facts.picked else None
        return bool(value), reason("theme_conflict", theme=picked, other=facts.conflict_theme)
    return not bool(value), reason("no_theme_conflict")


@condition("primary_ward_level", _l("主テーマが区で担えるテーマ（ward_level）"), "bool")
def _primary_ward_level(facts, value):
    info = facts.theme_info(facts.primary)
    level = bool(info and info.ward_level)
    return level == bool(value), reason("ward_level" if level else "bureau_level", theme=facts.primary)


@condition("primary_has_owner", _l("主テーマに所管局がある"), "bool")
def _primary_has_owner(facts, value):
    owner = facts.primary_owner
    if owner:
        why = reason("primary_owner", dept=owner)
    elif facts.primary:
        why = reason("no_owner", theme=facts.primary)
    else:
        why = reason("no_owner_no_theme")
    return (owner is not None) == bool(value), why


@condition("bureau_count", _l("関係するテーマの所管局の数"), "range",
           help=_l("本文と選択で裏付けのあるテーマの所管局が何局にまたがるか"))
def _bureau_count(facts, value):
    owners = facts.supported_owners
    return _in_range(len(owners), value), reason("bureau_count", n=len(owners), depts=list(owners))


@condition("scope", _l("活動範囲"), "scopes")
def _scope(facts, value):
    wanted = _codes(value)
    return facts.scope in wanted, reason("scope", scope=facts.scope)


@condition("ward", _l("活動する区"), "wards")
def _ward(facts, value):
    wanted = _codes(value)
    hits = [w for w in facts.wards if w in wanted]
    return bool(hits), reason("ward", depts=list(facts.wards))


@condition("ward_count", _l("活動する区の数"), "range",
           help=_l("区の欄が空のときは本文中の区名・地名から数えます"))
def _ward_count(facts, value):
    return _in_range(len(facts.wards), value), reason("ward_count", n=len(facts.wards),
                                                      ward_source=facts.ward_source, depts=list(facts.wards))


@condition("organisation_kind", _l("団体の種類"), "org_kinds")
def _organisation_kind(facts, value):
    wanted = _codes(value)
    return facts.organisation_kind in wanted, reason("organisation_kind", organisation_kind=facts.organisation_kind)


@condition("stage", _l("段階（萌芽的・実績あり）"), "stages")
def _stage(facts, value):
    wanted = _codes(value)
    return facts.stage in wanted, reason("stage", stage=facts.stage)


@condition("text_contains", _l("本文にいずれかの語を含む"), "words")
def _text_contains(facts, value):
    from routing.text import contains_phrase

    words = _codes(value)
    hits = [w for w in words if contains_phrase(facts.token_keys, w)]
    if hits:
        return True, reason("text_contains", words=hits)
    return False, reason("text_missing", words=words)


@condition("budget_range", _l("希望する市の負担額（円）"), "range")
def _budget_range(facts, value):
    amount = facts.budget_requested
    if amount is None:
        return False, reason("no_budget")
    return _in_range(amount, value), reason("budget", amount=f"{amount:,}", range=_range_text(value))


@condition("support_requested", _l("求める支援"), "supports")
def _support_requested(facts, value):
    wanted = _codes(value)
    hits = [s for s in facts.support_requested if s in wanted]
    return bool(hits), reason("support", supports=list(facts.support_requested))


@condition("model_lead", _l("学習モデルが提案する主担当"), "departments",
           help=_l("窓口の過去の確認・変更から学んだモデルの提案。確率の条件と組み合わせて使います"))
def _model_lead(facts, value):
    view = facts.model
    if view is None:
        return False, reason("no_model")
    wanted = _codes(value)
    return view.lead in wanted, reason("model_lead", dept=view.lead, percent=f"{view.probability:.0%}")


@condition("model_confidence", _l("学習モデルの提案の確率"), "range",
           help=_l("0〜1。例: 最小 0.8 で「モデルが8割以上の確率で提案する」"))
def _model_confidence(facts, value):
    view = facts.model
    if view is None:
        return False, reason("no_model")
    return _in_range(view.probability, value), reason("model_confidence", dept=view.lead,
                                                      probability=f"{view.probability:.2f}",
                                                      range=_range_text_p(value))


def _range_text_p(value) -> str:
    low, high = _range(value)
    return f"{'' if low is None else low:}〜{'' if high is None else high}"


@dataclass(frozen=True)
class ActionType:
    name: str
    label: Any
    needs: str  # "target" (a department or a symbolic target), "value" or "none"


ACTIONS: dict[str, ActionType] = {
    a.name: a
    for a in (
        ActionType("set_lead", _l("主担当を決める"), "target"),
        ActionType("add_co", _l("関係部署を加える"), "target"),
        ActionType("require_triage", _l("窓口の確認を必須にする"), "none"),
        ActionType("set_priority", _l("優先度を設定する"), "value"),
        ActionType("add_tag", _l("タグを付ける"), "value"),
    )
}

# Targets that depend on the proposal, resolved by the engine.
SYMBOLIC_TARGETS = {
    "@primary_owner": _l("主テーマの所管局"),
    "@ward": _l("活動する区の区役所（1区のとき）"),
    "@window": _l("協働・連携推進窓口（自治推進部）"),
    "@other_owners": _l("他の関係テーマの所管局"),
    "@supported_owners": _l("関係テーマの所管局すべて"),
    "@model_lead": _l("学習モデルが提案する部署"),
}

PRIORITIES = ("high", "normal", "low")


class RuleFormatError(ValueError):
    pass


def validate_tree(node: Any, depth: int = 0) -> None:
    """Raise RuleFormatError unless node is a well-formed condition tree."""
    if depth > 8:
        raise RuleFormatError("condition tree too deep")
    if not isinstance(node, dict) or len(node) != 1 and "type" not in node:
        raise RuleFormatError("a condition is an object")
    if "all" in node or "any" in node:
        children = node.get("all", node.get("any"))
        if not isinstance(children, list):
            raise RuleFormatError("all / any take a list")
        for child in children:
            validate_tree(child, depth + 1)
        return
    if "not" in node:
        validate_tree(node["not"], depth + 1)
        return
    if node.get("type") not in CONDITIONS:
        raise RuleFormatError(f"unknown condition type: {node.get('type')}")


def validate_actions(actions: Any) -> None:
    if not isinstance(actions, list):
        raise RuleFormatError("actions are a list")
    for action in actions:
        if not isinstance(action, dict) or action.get("type") not in ACTIONS:
            raise RuleFormatError(f"unknown action: {action}")
