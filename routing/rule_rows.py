"""A rule as the editor shows it: the condition tree and actions in words,
and as rows of a form (one condition or action a row), read back with an
error for each row that cannot be used."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, StringField

from core.extensions import db
from core.models import Department, DepartmentKind, OrganisationKind, Theme
from proposals.labels import label
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
    "departments": _l("部署のコード（ward-nakahara, kankyo）または名称をカンマ区切りで"),
    "words": _l("語句をカンマ区切りで"),
    "range": _l("最小・最大（どちらか一方でも可）"),
    "bool": _l("はい・いいえ"),
    "none": _l("値は不要"),
}


def _code_maps():
    themes = db.session.scalars(sa.select(Theme).order_by(Theme.position)).all()
    wards = db.session.scalars(sa.select(Department).where(Department.kind == DepartmentKind.WARD)).all()
    departments = db.session.scalars(sa.select(Department)).all()
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
        "departments": {d.code: d.code for d in departments} | {d.name_ja: d.code for d in departments},
    }


# Value kinds whose codes have a label for people (proposals/labels.py).
VALUE_LABELS = {"scopes": "scope", "org_kinds": "organisation_kind", "stages": "stage", "supports": "support"}


def describe(node, depth: int = 0) -> str:
    """A condition tree in words, for the editor and the history."""
    if not isinstance(node, dict):
        return "?"
    for key, joiner in (("all", _(" かつ ")), ("any", _(" または "))):
        if key in node:
            parts = [describe(child, depth + 1) for child in node[key]]
            text = joiner.join(parts) or _("（条件なし）")
            return f"（{text}）" if depth and len(parts) > 1 else text
    if "not" in node:
        return _("［%(condition)s］でない", condition=describe(node["not"], depth + 1))
    kind = CONDITIONS.get(node.get("type"))
    if kind is None:
        return f"不明な条件 {node.get('type')}"
    value = node.get("value")
    if kind.value_kind == "range":
        value = value or {}
        text = f"{value.get('min', '')}〜{value.get('max', '')}"
    elif kind.value_kind == "bool":
        text = _("はい") if value else _("いいえ")
    elif kind.value_kind == "none":
        return str(kind.label)
    else:
        values = value if isinstance(value, list) else [value]
        labelled = VALUE_LABELS.get(kind.value_kind)
        text = "、".join(label(labelled, v) if labelled else str(v) for v in values)
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


def _nfkc(value):
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


class RowError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class _RowForm(Form):
    """One row of the editor. `read()` turns it into a condition leaf or an
    action (None for an unused row) or raises RowError, which becomes the
    row's own error, in Japanese, naming the row and the fix."""

    result = None

    @property
    def number(self) -> int:
        """The row's number as the page shows it (cond-0- is 条件1)."""
        return int(self._prefix.rstrip("-").rsplit("-", 1)[1]) + 1

    def read(self):
        raise NotImplementedError

    def validate(self, extra_validators=None) -> bool:
        self.result = None
        if not super().validate(extra_validators):
            return False
        try:
            self.result = self.read()
        except RowError as problem:
            self.form_errors.append(problem.message)
            return False
        return True


class ConditionRowForm(_RowForm):
    type = StringField(filters=[_nfkc])
    negate = BooleanField()
    value = StringField(filters=[_nfkc])
    min = StringField(filters=[_nfkc])
    max = StringField(filters=[_nfkc])
    bool = StringField(filters=[_nfkc], default="true")

    def read(self) -> dict | None:
        if not self.type.data:
            return None
        n = self.number
        kind = CONDITIONS.get(self.type.data)
        if kind is None:
            raise RowError(_l("条件%(n)s: 条件の種類を選び直してください。", n=n))
        if kind.value_kind == "range":
            try:
                value = {k: v for k, v in (("min", _number(self.min.data)), ("max", _number(self.max.data)))
                         if v is not None}
            except ValueError:
                raise RowError(_l("条件%(n)s: 最小・最大は数字で入力してください。", n=n)) from None
            if not value:
                raise RowError(_l("条件%(n)s: 最小か最大の少なくとも一方を入力してください。", n=n))
        elif kind.value_kind == "bool":
            value = self.bool.data != "false"
        elif kind.value_kind == "none":
            value = None
        else:
            value = self._listed_values(kind.value_kind, n)
        leaf = {"type": kind.name}
        if value is not None:
            leaf["value"] = value
        return {"not": leaf} if self.negate.data else leaf

    def _listed_values(self, value_kind: str, n: int) -> list[str]:
        """A comma-separated list (、 too); names are turned into codes where the kind has codes."""
        items = [v.strip() for v in (self.value.data or "").replace("、", ",").split(",") if v.strip()]
        if not items:
            raise RowError(_l("条件%(n)s: 値を入力してください（%(help)s）。", n=n, help=VALUE_HELP[value_kind]))
        maps = _code_maps()
        if value_kind not in maps:
            return items
        unknown = [v for v in items if v not in maps[value_kind]]
        if unknown:
            raise RowError(_l("条件%(n)s: 「%(values)s」は使えない値です（%(help)s）。", n=n,
                              values="、".join(unknown), help=VALUE_HELP[value_kind]))
        return [maps[value_kind][v] for v in items]


class ActionRowForm(_RowForm):
    type = StringField(filters=[_nfkc])
    target = StringField(filters=[_nfkc])
    value = StringField(filters=[_nfkc])

    def read(self) -> dict | None:
        if not self.type.data:
            return None
        n = self.number
        kind = ACTIONS.get(self.type.data)
        if kind is None:
            raise RowError(_l("処理%(n)s: 処理の種類を選び直してください。", n=n))
        action = {"type": kind.name}
        if kind.needs == "target":
            target = self.target.data or ""
            if target not in SYMBOLIC_TARGETS and not db.session.scalar(
                    sa.select(Department.id).where(Department.code == target)):
                raise RowError(_l("処理%(n)s: 対象の部署を選んでください。", n=n))
            action["target"] = target
        elif kind.needs == "value":
            value = self.value.data or ""
            if not value or (kind.name == "set_priority" and value not in PRIORITIES):
                raise RowError(_l("処理%(n)s: 値を入力してください（優先度は high, normal, low）。", n=n))
            action["value"] = value
        return action


class RuleRowsForm(Form):
    """The condition and action rows of the rule editor (cond-0-type …,
    act-0-type …); the rule's name and the rest are routing.forms.RuleForm."""

    cond = FieldList(FormField(ConditionRowForm), min_entries=CONDITION_ROWS, max_entries=CONDITION_ROWS + 4)
    act = FieldList(FormField(ActionRowForm), min_entries=ACTION_ROWS, max_entries=ACTION_ROWS + 4)

    def condition(self, combinator: str) -> dict:
        return {combinator: [entry.form.result for entry in self.cond if entry.form.result is not None]}

    def actions(self) -> list[dict]:
        return [entry.form.result for entry in self.act if entry.form.result is not None]

    def row_errors(self, *, conditions: bool = True) -> list[str]:
        """Each row's error in order, and one if no action is chosen. Without
        `conditions` (a tree deeper than the form, kept as it is) only the actions'."""
        rows = ([*self.cond] if conditions else []) + [*self.act]
        errors = [str(error) for entry in rows for error in entry.form.form_errors]
        if not self.actions():
            errors.append(str(_l("処理を1つ以上選んでください。")))
        return errors


def rule_rows_form(rule: Rule | None = None, formdata=None) -> tuple[str, RuleRowsForm]:
    """The rows as posted, or as the rule has them (empty rows to fill in below)."""
    if formdata is not None:
        return "", RuleRowsForm(formdata=formdata)
    combinator, conditions, actions = rows_from_rule(rule)
    return combinator, RuleRowsForm(data={"cond": conditions, "act": actions})
