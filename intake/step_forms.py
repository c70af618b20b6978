"""The proposal form's steps as WTForms forms: built for a step, filled
from the draft (as typed, or from the proposal), and re-checked for the review."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from core.extensions import db
from core.models import Department, DepartmentKind, Theme
from intake import normalise as n
from intake.forms import FILE_STEP, STEPS, as_choices
from proposals.models import Proposal


def _choices():
    locale = str(get_locale() or "ja")
    wards = db.session.scalars(sa.select(Department).where(
        Department.kind == DepartmentKind.WARD, Department.active).order_by(Department.id)).all()
    themes = db.session.scalars(sa.select(Theme).where(Theme.active).order_by(Theme.position)).all()
    return (as_choices((w.code, w.area_name(locale)) for w in wards),
            as_choices((t.code, t.name(locale)) for t in themes))


def make_form(step: int, **kwargs):
    form = STEPS[step - 1][3](**kwargs)
    if step == 4:
        form.wards.choices, form.themes.choices = _choices()
    return form


def raw_from_request(form) -> dict:
    raw = {}
    for field in form:
        if field.name in ("csrf_token",):
            continue
        if field.type in ("MultiCheckboxField", "SelectMultipleField"):
            raw[field.name] = [n.strip_controls(v)[:200] for v in request.form.getlist(field.name)][:50]
        else:
            raw[field.name] = n.strip_controls(request.form.get(field.name, ""))[:20000]
    return raw


def _multidict(raw: dict) -> MultiDict:
    items = []
    for key, value in raw.items():
        if isinstance(value, list):
            items.extend((key, v) for v in value)
        elif value not in (None, ""):
            items.append((key, value))
    return MultiDict(items)


def _initial(proposal: Proposal, step: int) -> dict:
    org = proposal.organisation
    if step == 1:
        if org is None:
            return {}
        return dict(name=org.name, name_kana=org.name_kana, kind=org.kind.value, corporate_number=org.corporate_number,
                    representative=org.representative, postal_code=org.postal_code, address=org.address,
                    phone=org.phone, website=org.website, founded_year=org.founded_year, member_count=org.member_count)
    if step == 2:
        return dict(contact_name=proposal.contact_name, contact_email=proposal.contact_email,
                    contact_phone=proposal.contact_phone, past_collaboration=proposal.past_collaboration)
    if step == 3:
        return {k: getattr(proposal, k) for k in ("title", "summary", "issue", "activities", "outcomes")}
    if step == 4:
        return dict(scope=proposal.scope.value if proposal.scope else None, wards=proposal.ward_codes,
                    themes=proposal.theme_codes, stage=proposal.stage.value if proposal.stage else None)
    if step == 5:
        return dict(support_requested=proposal.support_requested, partners_wanted=proposal.partners_wanted,
                    budget_total=proposal.budget_total_yen, budget_requested=proposal.budget_requested_yen,
                    period_start=proposal.period_start, period_end=proposal.period_end,
                    exit_strategy=proposal.exit_strategy.value if proposal.exit_strategy else None,
                    exit_note=proposal.exit_note)
    return {}


def _saved_raw(proposal: Proposal, step: int) -> dict | None:
    return ((proposal.draft_data or {}).get("steps") or {}).get(str(step))


def form_for_display(proposal: Proposal, step: int):
    raw = _saved_raw(proposal, step)
    if raw is not None:
        form = make_form(step, formdata=_multidict(raw))
    else:
        form = make_form(step, data=_initial(proposal, step))
    return form


def step_problems(proposal: Proposal) -> dict[int, list[tuple[str, str, str]]]:
    """Re-check every saved step: {step: [(field id, label, message)]}."""
    problems: dict[int, list[tuple[str, str, str]]] = {}
    for number, _key, _title, _cls in STEPS:
        if number == FILE_STEP:
            continue
        raw = _saved_raw(proposal, number)
        if raw is None:
            problems[number] = [("", "", str(_l("まだ入力されていません。")))]
            continue
        form = make_form(number, formdata=_multidict(raw), meta={"csrf": False})
        if not form.validate():
            problems[number] = [(f.id, str(f.label.text), str(f.errors[0])) for f in form if f.errors]
    return problems


def save_ids(proposal: Proposal) -> dict[str, str]:
    """The id of each step's last save (see ops.save_step), for the autosave script."""
    return dict((proposal.draft_data or {}).get("save_ids") or {})
