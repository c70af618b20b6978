"""The rule editor for administrators: /admin/routing (versions, rules,
publishing, preview and backtest). The keyword dictionary and theme owners
are in views_dictionary; a rule's rows in rule_rows."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.audit import Actor
from core.auth import staff_required
from core.calendar import to_local
from core.extensions import db
from core.models import Department, Role, Theme
from proposals.models import Proposal, State
from routing import operations, ruleset_operations
from routing.conditions import ACTIONS, CONDITIONS, SYMBOLIC_TARGETS
from routing.engine import InputError, evaluate
from routing.forms import BacktestForm, PreviewForm, PublishForm, RuleForm
from routing.models import Misroute, Rule, RulesetVersion
from routing.rule_rows import VALUE_HELP, RuleRowsForm, describe, describe_action, editable, rule_rows_form
from routing.store import get_version, proposal_input, ruleset_data

bp = Blueprint("routing_admin", __name__, url_prefix="/admin/routing")


def admin_actor() -> Actor:
    return Actor.of_user(current_user)


def version_or_404(number: int) -> RulesetVersion:
    return db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.version == number)) or abort(404)


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
    source = version_or_404(request.form.get("from", type=int)) if request.form.get("from") else None
    try:
        draft = ruleset_operations.create_draft(admin_actor(), source)
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
    row = version_or_404(number)
    return render_template("routing/admin_version.html", version=row, counts=operations.misroute_counts(),
                           describe=describe, describe_action=describe_action, publish_form=PublishForm(),
                           preview_form=PreviewForm(), backtest_form=BacktestForm())


def _rule_form_page(row: RulesetVersion, rule: Rule | None, form: RuleForm, combinator, rows: RuleRowsForm,
                    errors=(), status=200):
    return render_template("routing/admin_rule.html", version=row, rule=rule, form=form, combinator=combinator,
                           rows=rows, row_errors=list(errors), editable_tree=rule is None or editable(rule.condition),
                           describe=describe, **_editor_context()), status


@bp.route("/versions/<int:number>/rules/new", methods=["GET", "POST"])
@bp.route("/versions/<int:number>/rules/<int:rule_id>", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def rule(number: int, rule_id: int | None = None):
    row = version_or_404(number)
    rule_row = None
    if rule_id is not None:
        rule_row = db.session.get(Rule, rule_id)
        if rule_row is None or rule_row.ruleset_id != row.id:
            abort(404)
    if not row.is_draft:
        flash(_l("公開済みの版は変更できません。下書きを作成してから編集してください。"), "error")
        return redirect(url_for("routing_admin.version", number=number))
    if request.method == "GET":
        combinator, rows = rule_rows_form(rule_row)
        form = RuleForm(obj=rule_row, combinator=combinator)
        if rule_row is None:
            form.priority.data = max([r.priority for r in row.rules] + [0]) + 10
        return _rule_form_page(row, rule_row, form, combinator, rows)
    form = RuleForm()
    _, rows = rule_rows_form(formdata=request.form)
    valid = form.validate_on_submit()
    rows.validate()
    kept_tree = rule_row is not None and not editable(rule_row.condition)
    errors = rows.row_errors(conditions=not kept_tree)
    if valid and not errors:
        # A tree deeper than the form can show is kept as it is.
        tree = rule_row.condition if kept_tree else rows.condition(form.combinator.data or "all")
        fields = {"name": form.name.data, "description": form.description.data or "",
                  "priority": form.priority.data, "condition": tree, "actions": rows.actions(),
                  "stop": bool(form.stop.data)}
        try:
            ruleset_operations.save_rule(row, admin_actor(), fields, rule_row)
            db.session.commit()
        except operations.RoutingError as error:
            db.session.rollback()
            errors = [str(error.message)]
        else:
            flash(_l("ルールを保存しました。"), "success")
            return redirect(url_for("routing_admin.version", number=number))
    return _rule_form_page(row, rule_row, form, form.combinator.data, rows, errors, 400)


@bp.route("/versions/<int:number>/rules/<int:rule_id>/delete", methods=["POST"])
@staff_required(Role.ADMIN)
def delete_rule(number: int, rule_id: int):
    row = version_or_404(number)
    rule_row = db.session.get(Rule, rule_id)
    if rule_row is None or rule_row.ruleset_id != row.id:
        abort(404)
    try:
        ruleset_operations.delete_rule(row, rule_row, admin_actor())
        db.session.commit()
        flash(_l("ルールを削除しました。"), "success")
    except operations.RoutingError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("routing_admin.version", number=number))


@bp.route("/versions/<int:number>/publish", methods=["POST"])
@staff_required(Role.ADMIN)
def publish(number: int):
    row = version_or_404(number)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(form.note.errors[0] if form.note.errors else _l("入力内容を確認してください。"), "error")
        return redirect(url_for("routing_admin.version", number=number))
    try:
        ruleset_operations.publish(row, admin_actor(), form.note.data)
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
    row = version_or_404(number)
    try:
        ruleset_operations.discard_draft(row, admin_actor())
        db.session.commit()
        flash(_l("下書きを破棄しました。"), "success")
    except operations.RoutingError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("routing_admin.index"))


@bp.route("/versions/<int:number>/rollback", methods=["POST"])
@staff_required(Role.ADMIN)
def rollback(number: int):
    row = version_or_404(number)
    try:
        new = ruleset_operations.rollback(row, admin_actor())
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
    row = version_or_404(number)
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
    row = version_or_404(number)
    form = BacktestForm()
    result = ruleset_operations.backtest(row, form.last.data) if form.validate_on_submit() else None
    departments = {d.code: d for d in db.session.scalars(sa.select(Department))}
    return render_template("routing/admin_backtest.html", version=row, form=form, result=result,
                           by_code=departments), 400 if form.errors else 200
