"""The departments' answer templates (on the inbox blueprint,
/inbox/templates): a department's managers edit them, its staff read them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.audit import Actor
from core.auth import staff_required
from core.extensions import db
from core.models import Department, Role
from responses.admin_operations import retire_answer_template, save_answer_template
from responses.forms import ANSWER_KIND_LABELS, AnswerTemplateForm
from responses.models import AnswerKind, AnswerTemplate
from responses.views import DEPARTMENT_ROLES, bp


def _template_department() -> Department:
    code = request.args.get("department")
    if code and current_user.is_admin:
        return db.session.scalar(sa.select(Department).where(Department.code == code)) or abort(404)
    if current_user.department_id is None:
        abort(403)
    return db.session.get(Department, current_user.department_id)


def _may_edit_templates(department: Department) -> bool:
    return current_user.is_admin or (current_user.role == Role.DEPARTMENT_MANAGER
                                     and current_user.department_id == department.id)


def _department_template(department: Department, template_id: int | None) -> AnswerTemplate:
    return db.session.scalar(sa.select(AnswerTemplate).where(
        AnswerTemplate.id == template_id, AnswerTemplate.department_id == department.id)) or abort(404)


@bp.route("/templates", methods=["GET", "POST"])
@staff_required(*DEPARTMENT_ROLES)
def templates():
    department = _template_department()
    editable = _may_edit_templates(department)
    form = AnswerTemplateForm()
    form.kind.choices = [(k.value, label) for k, label in ANSWER_KIND_LABELS.items()]
    edit_id = request.args.get("edit", type=int)
    editing = _department_template(department, edit_id) if edit_id else None
    if editing is not None and request.method == "GET":
        form.kind.data, form.title.data, form.body.data = editing.kind.value, editing.title, editing.body
    if request.method == "POST":
        if not editable:
            abort(403)
        back = redirect(url_for("responses.templates", department=request.args.get("department")))
        if request.form.get("action") == "delete":
            row = _department_template(department, request.form.get("template_id", type=int))
            retire_answer_template(Actor.of_user(current_user), row)
            db.session.commit()
            flash(_l("テンプレートを削除しました。"), "success")
            return back
        if form.validate_on_submit():
            save_answer_template(Actor.of_user(current_user), department, editing,
                                 kind=AnswerKind(form.kind.data), title=form.title.data, body=form.body.data)
            db.session.commit()
            flash(_l("テンプレートを保存しました。"), "success")
            return back
    rows = db.session.scalars(sa.select(AnswerTemplate).where(
        AnswerTemplate.department_id == department.id, AnswerTemplate.active
    ).order_by(AnswerTemplate.kind, AnswerTemplate.title)).all()
    return render_template("responses/templates.html", department=department, rows=rows, form=form,
                           editable=editable, editing=editing, kind_labels=ANSWER_KIND_LABELS)
