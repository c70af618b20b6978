"""The rule editor for administrators: /admin/routing."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.audit import Actor
from core.auth import staff_required
from core.calendar import to_local
from core.extensions import db
from core.models import Department, DepartmentKind, OrganisationKind, Role, Theme
from proposals.models import SUPPORT_TYPES, Proposal, Scope, Stage, State
from routing import operations
from routing.conditions import ACTIONS, CONDITIONS, PRIORITIES, SYMBOLIC_TARGETS
from routing.engine import InputError, evaluate
from routing.forms import ACTION_ROWS, CONDITION_ROWS, BacktestForm, KeywordForm, PreviewForm, PublishForm, RuleForm
from routing.models import Keyword, Misroute, Rule, RulesetVersion
from routing.store import get_version, proposal_input, ruleset_data

bp = Blueprint("routing_admin", __name__, url_prefix="/admin/routing")

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


def _actor() -> Actor:
    return Actor.of_user(current_user)


def _version(number: int) -> RulesetVersion:
    return db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.version == number)) or abort(404)


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


def _editable(tree) -> bool:
    if not isinstance(tree, dict) or not ({"all", "any"} & set(tree)):
        return False
    children = tree.get("all", tree.get("any"))
    for child in children:
        leaf = child.get("not") if isinstance(child, dict) and "not" in child else child
        if not isinstance(leaf, dict) or "type" not in leaf:
            return False
    return True


def _rows_from_rule(rule: Rule | None) -> tuple[str, list[dict], list[dict]]:
    combinator, conditions, actions = "all", [], []
    if rule is not None and _editable(rule.condition):
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


def _parse_rows(form, combinator: str) -> tuple[dict, list, list[str], list[dict], list[dict]]:
    """Condition and action rows from the posted form; errors are messages."""
    import unicodedata

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


def _editor_context():
    departments = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    return {"conditions": CONDITIONS, "actions_registry": ACTIONS, "symbolic": SYMBOLIC_TARGETS,
            "departments": departments, "value_help": VALUE_HELP,
            "themes": db.session.scalars(sa.select(Theme).order_by(Theme.position)).all()}


@bp.route("/")
@staff_required(Role.ADMIN)
def index():
    versions = db.session.scalars(sa.select(RulesetVersion).order_by(RulesetVersion.version.desc())).all()
    misroutes = db.session.scalars(sa.select(Misroute).order_by(Misroute.id.desc()).limit(20)).all()
    return render_template("routing/admin_index.html", versions=versions, published=get_version("published"),
                           draft=get_version("draft"), counts=operations.misroute_counts(), misroutes=misroutes,
                           describe=describe, describe_action=describe_action, local=to_local,
                           auto_route=current_app.config.get("AUTO_ROUTE_CONFIDENCE"))


@bp.route("/draft", methods=["POST"])
@staff_required(Role.ADMIN)
def create_draft():
    source = _version(request.form.get("from", type=int)) if request.form.get("from") else None
    try:
        draft = operations.create_draft(_actor(), source)
        db.session.commit()
    except operations.RoutingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("routing_admin.index"))
    flash(_l("下書き v%(v)s を作成しました。", v=draft.version), "success")
    return redirect(url_for("routing_admin.version", number=draft.version))


@bp.route("/versions/<int:number>")
@staff_required(Role.ADMIN)
def version(number: int):
    row = _version(number)
    return render_template("routing/admin_version.html", version=row, counts=operations.misroute_counts(),
                           describe=describe, describe_action=describe_action, publish_form=PublishForm(),
                           preview_form=PreviewForm(), backtest_form=BacktestForm())


def _rule_form_page(row: RulesetVersion, rule: Rule | None, form: RuleForm, combinator, cond_rows, act_rows,
                    errors=(), status=200):
    return render_template("routing/admin_rule.html", version=row, rule=rule, form=form, combinator=combinator,
                           cond_rows=cond_rows, act_rows=act_rows, row_errors=list(errors),
                           editable_tree=rule is None or _editable(rule.condition),
                           describe=describe, **_editor_context()), status


@bp.route("/versions/<int:number>/rules/new", methods=["GET", "POST"])
@bp.route("/versions/<int:number>/rules/<int:rule_id>", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def rule(number: int, rule_id: int | None = None):
    row = _version(number)
    rule_row = None
    if rule_id is not None:
        rule_row = db.session.get(Rule, rule_id)
        if rule_row is None or rule_row.ruleset_id != row.id:
            abort(404)
    if not row.is_draft:
        flash(_l("公開済みの版は変更できません。下書きを作成してから編集してください。"), "error")
        return redirect(url_for("routing_admin.version", number=number))
    combinator, cond_rows, act_rows = _rows_from_rule(rule_row)
    form = RuleForm(obj=rule_row, combinator=combinator) if request.method == "GET" else RuleForm()
    if rule_row is None and request.method == "GET":
        form.priority.data = max([r.priority for r in row.rules] + [0]) + 10
    if request.method == "POST":
        valid = form.validate_on_submit()
        tree, actions, errors, cond_rows, act_rows = _parse_rows(request.form, form.combinator.data or "all")
        if rule_row is not None and not _editable(rule_row.condition):
            tree = rule_row.condition  # a tree deeper than the form can show is kept as it is
            errors = [e for e in errors if not e.startswith(str(_l("条件")))]
        if valid and not errors:
            fields = {"name": form.name.data, "description": form.description.data or "",
                      "priority": form.priority.data, "condition": tree, "actions": actions,
                      "stop": bool(form.stop.data)}
            try:
                operations.save_rule(row, _actor(), fields, rule_row)
                db.session.commit()
            except operations.RoutingError as error:
                db.session.rollback()
                errors = [str(error.message)]
            else:
                flash(_l("ルールを保存しました。"), "success")
                return redirect(url_for("routing_admin.version", number=number))
        return _rule_form_page(row, rule_row, form, form.combinator.data, cond_rows, act_rows, errors, 400)
    return _rule_form_page(row, rule_row, form, combinator, cond_rows, act_rows)


@bp.route("/versions/<int:number>/rules/<int:rule_id>/delete", methods=["POST"])
@staff_required(Role.ADMIN)
def delete_rule(number: int, rule_id: int):
    row = _version(number)
    rule_row = db.session.get(Rule, rule_id)
    if rule_row is None or rule_row.ruleset_id != row.id:
        abort(404)
    try:
        operations.delete_rule(row, rule_row, _actor())
        db.session.commit()
        flash(_l("ルールを削除しました。"), "success")
    except operations.RoutingError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("routing_admin.version", number=number))


@bp.route("/versions/<int:number>/publish", methods=["POST"])
@staff_required(Role.ADMIN)
def publish(number: int):
    row = _version(number)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(form.note.errors[0] if form.note.errors else _l("入力内容を確認してください。"), "error")
        return redirect(url_for("routing_admin.version", number=number))
    try:
        operations.publish(row, _actor(), form.note.data)
        db.session.commit()
    except operations.RoutingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("routing_admin.version", number=number))
    flash(_l("v%(v)s を公開しました。これから提出される提案に使われます。", v=number), "success")
    return redirect(url_for("routing_admin.index"))


@bp.route("/versions/<int:number>/discard", methods=["POST"])
@staff_required(Role.ADMIN)
def discard(number: int):
    row = _version(number)
    try:
        operations.discard_draft(row, _actor())
        db.session.commit()
        flash(_l("下書きを破棄しました。"), "success")
    except operations.RoutingError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("routing_admin.index"))


@bp.route("/versions/<int:number>/rollback", methods=["POST"])
@staff_required(Role.ADMIN)
def rollback(number: int):
    row = _version(number)
    try:
        new = operations.rollback(row, _actor())
        db.session.commit()
    except operations.RoutingError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("routing_admin.index"))
    flash(_l("v%(old)s の内容を v%(new)s として公開しました。", old=number, new=new.version), "success")
    return redirect(url_for("routing_admin.index"))


@bp.route("/versions/<int:number>/preview", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def preview(number: int):
    row = _version(number)
    form = PreviewForm()
    result = proposal = None
    if form.validate_on_submit():
        if form.reference.data:
            proposal = db.session.scalar(sa.select(Proposal).where(Proposal.reference == form.reference.data,
                                                                   Proposal.state != State.DRAFT))
            if proposal is None:
                form.reference.errors.append(_l("この受付番号の提案は見つかりません。"))
            else:
                result = evaluate(proposal_input(proposal), ruleset_data(row)).to_json()
        else:
            try:
                result = evaluate(json.loads(form.proposal_json.data), ruleset_data(row)).to_json()
            except (ValueError, InputError) as error:
                form.proposal_json.errors.append(_l("JSONとして読めません（%(error)s）。proposal.md の形で貼り付けてください。",
                                                    error=str(error)[:200]))
    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    return render_template("routing/admin_preview.html", version=row, form=form, result=result, proposal=proposal,
                           by_code=departments, themes=themes), 400 if form.errors else 200


@bp.route("/versions/<int:number>/backtest", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def backtest(number: int):
    row = _version(number)
    form = BacktestForm()
    result = operations.backtest(row, form.last.data) if form.validate_on_submit() else None
    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    return render_template("routing/admin_backtest.html", version=row, form=form, result=result,
                           by_code=departments), 400 if form.errors else 200


# --- the dictionary ------------------------------------------------------------------------------

def _keyword_targets():
    themes = db.session.scalars(sa.select(Theme).where(Theme.active).order_by(Theme.position)).all()
    wards = db.session.scalars(sa.select(Department).where(Department.kind == DepartmentKind.WARD)
                               .order_by(Department.id)).all()
    choices = [SelectChoice("", _l("選んでください"))]
    choices += [SelectChoice(f"theme:{t.code}", f"{_l('テーマ')}: {t.name_ja}") for t in themes]
    choices += [SelectChoice(f"ward:{w.code}", f"{_l('地名')}: {w.name_ja}") for w in wards]
    choices += [SelectChoice("city", _l("市全体を表す語（区として数えない）"))]
    return choices


@bp.route("/keywords", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def keywords():
    form = KeywordForm()
    form.target.choices = _keyword_targets()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            kind, _, code = form.target.data.partition(":")
            theme = db.session.scalar(sa.select(Theme).where(Theme.code == code)) if kind == "theme" else None
            ward = db.session.scalar(sa.select(Department).where(Department.code == code)) if kind == "ward" else None
            try:
                operations.add_keyword(_actor(), form.phrase.data, theme=theme, ward=ward, weight=form.weight.data)
                db.session.commit()
                flash(_l("「%(phrase)s」を辞書に登録しました。", phrase=form.phrase.data), "success")
                return redirect(url_for("routing_admin.keywords", theme=code or None))
            except operations.RoutingError as error:
                db.session.rollback()
                form.phrase.errors.append(error.message)
        status = 400
    selected = request.args.get("theme", "")
    query = sa.select(Keyword).where(Keyword.active).order_by(Keyword.theme_id, Keyword.ward_id, Keyword.phrase)
    rows = db.session.scalars(query).all()
    themes = db.session.scalars(sa.select(Theme).order_by(Theme.position)).all()
    wards = db.session.scalars(sa.select(Department).where(Department.kind == DepartmentKind.WARD)
                               .order_by(Department.id)).all()
    by_theme: dict = {}
    by_ward: dict = {}
    city = []
    for keyword in rows:
        if keyword.theme_id:
            by_theme.setdefault(keyword.theme_id, []).append(keyword)
        elif keyword.ward_id:
            by_ward.setdefault(keyword.ward_id, []).append(keyword)
        else:
            city.append(keyword)
    return render_template("routing/admin_keywords.html", form=form, themes=themes, wards=wards,
                           by_theme=by_theme, by_ward=by_ward, city=city, selected=selected), status


@bp.route("/keywords/<int:keyword_id>/remove", methods=["POST"])
@staff_required(Role.ADMIN)
def remove_keyword(keyword_id: int):
    keyword = db.session.get(Keyword, keyword_id) or abort(404)
    operations.remove_keyword(_actor(), keyword)
    db.session.commit()
    flash(_l("「%(phrase)s」を辞書から外しました。", phrase=keyword.phrase), "success")
    return redirect(url_for("routing_admin.keywords"))



# --- theme owners ------------------------------------------------------------------------------

@bp.route("/themes", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def themes():
    rows = db.session.scalars(sa.select(Theme).order_by(Theme.position)).all()
    bureaus = db.session.scalars(sa.select(Department).where(
        Department.active, Department.kind != DepartmentKind.WARD).order_by(Department.id)).all()
    if request.method == "POST":
        theme = db.session.scalar(sa.select(Theme).where(Theme.code == request.form.get("theme", ""))) or abort(404)
        owner_code = request.form.get("owner", "")
        owner = next((b for b in bureaus if b.code == owner_code), None)
        if owner_code and owner is None:
            flash(_l("所管局を選び直してください。"), "error")
            return redirect(url_for("routing_admin.themes"))
        operations.set_theme_owner(theme, owner, bool(request.form.get("ward_level")), _actor())
        db.session.commit()
        flash(_l("「%(theme)s」の所管を保存しました。次に提出される提案から使われます。", theme=theme.name_ja), "success")
        return redirect(url_for("routing_admin.themes") + f"#theme-{theme.code}")
    return render_template("routing/admin_themes.html", themes=rows, bureaus=bureaus)
