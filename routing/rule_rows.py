"""A rule as the editor shows it: the condition tree and actions in words,
and as rows of a form (one condition or action a row), read back with an
error for each row that cannot be used."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.extensions import db
from core.models import Department, DepartmentKind, OrganisationKind, Theme
from proposals.models import SUPPORT_TYPES, Scope, Stage
from routing.conditions import ACTIONS, CONDITIONS, PRIORITIES, SYMBOLIC_TARGETS
from routing.forms import ACTION_ROWS, CONDITION_ROWS
from routing.models import Rule

VALUE_HELP = {
    "themes": _l("テーマのコードまたは名称をカンマ区切りで"),
    "wards": _l("区のコード（ward-miyamae）または区名（宮前区）をカンマ区切りで"),
    "scopes": _l("ward, multi_ward, citywide, undecided からカンマ区切りで"),
    "org_kinds": _l("団体の種類のコードをカンマ区切りで"),
    "stages": _l("seed（萌芽的）または established（実績あり）"),
    "supports": _l("funding, venue, publicity, coordination, co_hosting, data, advice からカンマ区切りで"),
    "words": _l("語句をカンマ区切りで"),
    "range": _l("最小・最大（どちらか一方でも可）"),
    "bool": _l("はい・いいえ"),
    "none": _l("値は不要"),
}


def _code_maps():
    themes = db.session.scalars(sa.select(Theme).order_by(Theme.position)).all()
    wards = db.session.scalars(sa.select(Department).where(Department.kind == DepartmentKind.WARD)).all()
    theme_codes = {t.code: t.code for t in themes} | {t.name_ja: t.code for t in themes}
    ward_codes = {w.code: w.code for w in wards} | {w.name_ja: w.code for w in wards} | {
        w.name_ja.removesuffix("役所"): w.code for w in wards}
    return {
        "themes": theme_codes,
        "wards": ward_codes,
        "scopes": {s.value: s.value for s in Scope},
        "org_kinds": {k.value: k.value for k in OrganisationKind},
        "stages": {s.value: s.value for s in Stage},
        "supports": {s: s for s in SUPPORT_TYPES},
    }


def describe(node, depth: int = 0) -> str:
    """A condition tree in words, for the editor and the history."""
    if not isinstance(node, dict):
        return "?"
    for key, joiner in (("all", " かつ "), ("any", " または ")):
        if key in node:
            parts = [describe(child, depth + 1) for child in node[key]]
            text = joiner.join(parts) or "（条件なし）"
            return f"（{text}）" if depth and len(parts) > 1 else text
    if "not" in node:
        return f"［{describe(node['not'], depth + 1)}］でない"
    kind = CONDITIONS.get(node.get("type"))
    if kind is None:
        return f"不明な条件 {node.get('type')}"
    value = node.get("value")
    if kind.value_kind == "range":
        value = value or {}
        text = f"{value.get('min', '')}〜{value.get('max', '')}"
    elif kind.value_kind == "bool":
        text = "はい" if value else "いいえ"
    elif kind.value_kind == "none":
        return str(kind.label)
    else:
        text = "、".join(value) if isinstance(value, list) else str(value)
    return f"{kind.label}: {text}"


def describe_action(action: dict) -> str:
    kind = ACTIONS.get(action.get("type"))
    if kind is None:
        return "?"
    if kind.needs == "target":
        target = action.get("target", "")
        return f"{kind.label}: {SYMBOLIC_TARGETS.get(target, target)}"
    if kind.needs == "value":
        return f"{kind.label}: {action.get('value', '')}"
    return str(kind.label)


def editable(tree) -> bool:
    if not isinstance(tree, dict) or not ({"all", "any"} & set(tree)):
        return False
    children = tree.get("all", tree.get("any"))
    for child in children:
        leaf = child.get("not") if isinstance(child, dict) and "not" in child else child
        if not isinstance(leaf, dict) or "type" not in leaf:
            return False
    return True


def rows_from_rule(rule: Rule | None) -> tuple[str, list[dict], list[dict]]:
    combinator, conditions, actions = "all", [], []
    if rule is not None and editable(rule.condition):
        combinator = "all" if "all" in rule.condition else "any"
        for child in rule.condition[combinator]:
            negate = "not" in child
            leaf = child["not"] if negate else child
            value = leaf.get("value")
            row = {"type": leaf["type"], "negate": negate, "value": "", "min": "", "max": "", "bool": "true"}
            kind = CONDITIONS[leaf["type"]].value_kind
            if kind == "range":
                row["min"], row["max"] = (value or {}).get("min", ""), (value or {}).get("max", "")
            elif kind == "bool":
                row["bool"] = "true" if value else "false"
            elif isinstance(value, list):
                row["value"] = ", ".join(value)
            conditions.append(row)
    if rule is not None:
        actions = [dict(a) for a in rule.actions]
    conditions += [{"type": "", "negate": False, "value": "", "min": "", "max": "", "bool": "true"}] * max(
        0, CONDITION_ROWS - len(conditions))
    actions += [{"type": ""}] * max(0, ACTION_ROWS - len(actions))
    return combinator, conditions, actions


def _number(text: str):
    text = (text or "").strip()
    if not text:
        return None
    value = float(text)
    return int(value) if value.is_integer() else value


def parse_rows(form, combinator: str) -> tuple[dict, list, list[str], list[dict], list[dict]]:
    """Condition and action rows from the posted form; errors are messages."""
    errors: list[str] = []
    maps = _code_maps()
    leaves, cond_rows, act_rows, actions = [], [], [], []
    for i in range(CONDITION_ROWS + 4):
        kind_name = form.get(f"cond-{i}-type", "")
        if f"cond-{i}-type" not in form:
            break
        row = {k: unicodedata.normalize("NFKC", form.get(f"cond-{i}-{k}", "")).strip()
               for k in ("type", "value", "min", "max", "bool")}
        row["negate"] = bool(form.get(f"cond-{i}-negate"))
        cond_rows.append(row)
        if not kind_name:
            continue
        kind = CONDITIONS.get(kind_name)
        if kind is None:
            errors.append(str(_l("条件%(n)s: 条件の種類を選び直してください。", n=i + 1)))
            continue
        if kind.value_kind == "range":
            try:
                value = {k: v for k, v in (("min", _number(row["min"])), ("max", _number(row["max"]))) if v is not None}
            except ValueError:
                errors.append(str(_l("条件%(n)s: 最小・最大は数字で入力してください。", n=i + 1)))
                continue
            if not value:
                errors.append(str(_l("条件%(n)s: 最小か最大の少なくとも一方を入力してください。", n=i + 1)))
                continue
        elif kind.value_kind == "bool":
            value = row["bool"] != "false"
        elif kind.value_kind == "none":
            value = None
        else:
            items = [v.strip() for v in row["value"].replace("、", ",").split(",") if v.strip()]
            if not items:
                errors.append(str(_l("条件%(n)s: 値を入力してください（%(help)s）。", n=i + 1,
                                     help=VALUE_HELP[kind.value_kind])))
                continue
            if kind.value_kind in maps:
                unknown = [v for v in items if v not in maps[kind.value_kind]]
                if unknown:
                    errors.append(str(_l("条件%(n)s: 「%(values)s」は使えない値です（%(help)s）。", n=i + 1,
                                         values="、".join(unknown), help=VALUE_HELP[kind.value_kind])))
                    continue
                items = [maps[kind.value_kind][v] for v in items]
            value = items
        leaf = {"type": kind_name}
        if value is not None:
            leaf["value"] = value
        leaves.append({"not": leaf} if row["negate"] else leaf)
    departments = set(db.session.scalars(sa.select(Department.code)))
    for i in range(ACTION_ROWS + 4):
        if f"act-{i}-type" not in form:
            break
        row = {k: unicodedata.normalize("NFKC", form.get(f"act-{i}-{k}", "")).strip() for k in ("type", "target", "value")}
        act_rows.append(row)
        if not row["type"]:
            continue
        kind = ACTIONS.get(row["type"])
        if kind is None:
            errors.append(str(_l("処理%(n)s: 処理の種類を選び直してください。", n=i + 1)))
            continue
        action = {"type": kind.name}
        if kind.needs == "target":
            if row["target"] not in SYMBOLIC_TARGETS and row["target"] not in departments:
                errors.append(str(_l("処理%(n)s: 対象の部署を選んでください。", n=i + 1)))
                continue
            action["target"] = row["target"]
        elif kind.needs == "value":
            if not row["value"] or (kind.name == "set_priority" and row["value"] not in PRIORITIES):
                errors.append(str(_l("処理%(n)s: 値を入力してください（優先度は high, normal, low）。", n=i + 1)))
                continue
            action["value"] = row["value"]
        actions.append(action)
    if not actions:
        errors.append(str(_l("処理を1つ以上選んでください。")))
    return {combinator: leaves}, actions, errors, cond_rows, act_rows
