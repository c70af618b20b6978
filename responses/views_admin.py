"""The window's dashboard, and the administrator's closed days, deadline
settings and department heads. Every change goes through
responses.admin_operations."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from core.audit import Actor
from core.auth import staff_required
from core.calendar import local_today
from core.extensions import db
from core.models import ClosedDay, Department, Role, User
from proposals.group_queries import open_groups
from responses.admin_operations import (
    add_closed_day,
    add_department_head,
    remove_closed_day,
    remove_department_head,
    set_department_deadlines,
)
from responses.clock import clock
from responses.dashboard import department_figures, overdue_items
from responses.forms import ClosedDayForm, DepartmentDaysForm, HeadForm
from responses.models import DepartmentHead
from responses.settings import setting

window_bp = Blueprint("window_dashboard", __name__, url_prefix="/window")
admin_bp = Blueprint("deadline_admin", __name__, url_prefix="/admin/deadlines")


@window_bp.route("/dashboard")
@staff_required()
def dashboard():
    if not current_user.is_window_member:
        abort(403)
    now = clock.now()
    figures = department_figures(now)
    return render_template("responses/dashboard.html", figures=figures, overdue=overdue_items(now, limit=50),
                           today=local_today(now), open_groups=open_groups())


# --- administration: closed days, deadline settings, heads ----------------------------------------

@admin_bp.route("/", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def closed_days():
    form = ClosedDayForm(prefix="closed")
    actor = Actor.of_user(current_user)
    action = request.form.get("action")
    if action == "add" and form.validate_on_submit():
        moved = add_closed_day(actor, form.day.data, form.reason.data or "", clock.now())
        if moved is not None:
            db.session.commit()
            flash(_l("閉庁日を追加しました。期限を%(count)s件延ばしました。", count=moved), "success")
        return redirect(url_for("deadline_admin.closed_days"))
    if action == "remove" and FlaskForm().validate_on_submit():
        day = _parse_day(request.form.get("day"))
        row = (db.session.get(ClosedDay, day) if day else None) or abort(404)
        moved = remove_closed_day(actor, row, clock.now())
        db.session.commit()
        flash(_l("閉庁日を削除しました。期限を%(count)s件早めました。", count=moved), "success")
        return redirect(url_for("deadline_admin.closed_days"))
    if action == "days":
        dept = db.session.get(Department, request.form.get("department_id", type=int) or 0) or abort(404)
        days_form = DepartmentDaysForm(prefix=f"d{dept.id}")
        if days_form.validate_on_submit():
            set_department_deadlines(actor, dept, days_form.ack_days.data, days_form.answer_days.data)
            db.session.commit()
            flash(_l("%(department)sの期限を保存しました。新しく割り当てる提案から適用します。",
                     department=dept.name(str(get_locale() or "ja"))), "success")
            return redirect(url_for("deadline_admin.closed_days"))
        for errors in days_form.errors.values():
            for error in errors:
                flash(error, "error")
    days = db.session.scalars(sa.select(ClosedDay).order_by(ClosedDay.day.desc())).all()
    departments = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    return render_template("responses/admin_closed_days.html", form=form, days=days, departments=departments,
                           defaults={"ack": setting("DEADLINE_ACK_BUSINESS_DAYS"),
                                     "answer": setting("DEADLINE_ANSWER_BUSINESS_DAYS")})


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@admin_bp.route("/heads", methods=["GET", "POST"])
@staff_required(Role.ADMIN)
def heads():
    form = HeadForm()
    departments = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    locale = str(get_locale() or "ja")
    form.department.choices = [(d.id, d.name(locale)) for d in departments]
    actor = Actor.of_user(current_user)
    if request.form.get("action") == "remove" and FlaskForm().validate_on_submit():
        key = (request.form.get("department_id", type=int), request.form.get("user_id", type=int))
        row = (db.session.get(DepartmentHead, key) if None not in key else None) or abort(404)
        remove_department_head(actor, row)
        db.session.commit()
        flash(_l("登録を解除しました。"), "success")
        return redirect(url_for("deadline_admin.heads"))
    if request.method == "POST" and request.form.get("action") == "add" and form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.email == form.email.data, User.role != Role.APPLICANT))
        if user is None:
            form.email.errors.append(_l("このメールアドレスの職員が見つかりません。職員として登録済みのアドレスを入力してください。"))
        else:
            if add_department_head(actor, form.department.data, user):
                db.session.commit()
            flash(_l("登録しました。"), "success")
            return redirect(url_for("deadline_admin.heads"))
    rows = db.session.scalars(sa.select(DepartmentHead).order_by(DepartmentHead.department_id)).all()
    return render_template("responses/admin_heads.html", form=form, rows=rows)
