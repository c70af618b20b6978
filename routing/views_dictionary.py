"""The routing dictionary (keywords for themes and places) and the theme
owners, for administrators: /admin/routing/keywords, /admin/routing/themes."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from core.auth import staff_required
from core.extensions import db
from core.models import Department, DepartmentKind, Role, Theme
from routing import operations, ruleset_operations
from routing.forms import KeywordForm
from routing.models import Keyword
from routing.views_admin import admin_actor, bp

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
                ruleset_operations.add_keyword(admin_actor(), form.phrase.data, theme=theme, ward=ward, weight=form.weight.data)
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
    ruleset_operations.remove_keyword(admin_actor(), keyword)
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
        ruleset_operations.set_theme_owner(theme, owner, bool(request.form.get("ward_level")), admin_actor())
        db.session.commit()
        flash(_l("「%(theme)s」の所管を保存しました。次に提出される提案から使われます。", theme=theme.name_ja), "success")
        return redirect(url_for("routing_admin.themes") + f"#theme-{theme.code}")
    return render_template("routing/admin_themes.html", themes=rows, bureaus=bureaus)
