"""Filling a draft by API with the form's own steps: each section of the
body is validated by the same WTForms step the page uses (full-width input,
postal codes with or without the hyphen, the same Japanese errors) and saved
by intake.operations.save_step."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from api.problems import ApiProblem, api_locale, form_errors
from core.audit import Actor
from core.extensions import db
from core.models import Department, DepartmentKind, Theme, User
from intake import operations as intake_ops
from intake.forms import FILE_STEP, STEPS, as_choices
from proposals.models import Proposal

SECTIONS = {"organisation": 1, "contact": 2, "content": 3, "area": 4, "plan": 5}
SECTION_OF_STEP = {step: name for name, step in SECTIONS.items()}


def _choices():
    wards = db.session.scalars(sa.select(Department).where(
        Department.kind == DepartmentKind.WARD, Department.active).order_by(Department.id)).all()
    themes = db.session.scalars(sa.select(Theme).where(Theme.active).order_by(Theme.position)).all()
    return as_choices((w.code, w.code) for w in wards), as_choices((t.code, t.code) for t in themes)


def _valid(form) -> bool:
    """Validate in the client's language: some checks turn their message into text as they fail."""
    with force_locale(api_locale()):
        return form.validate()


def step_form(step: int, raw: dict):
    items = []
    for key, value in raw.items():
        if isinstance(value, list):
            items.extend((key, str(v)) for v in value)
        elif value not in (None, ""):
            items.append((key, str(value)))
    form = STEPS[step - 1][3](formdata=MultiDict(items), meta={"csrf": False})
    if step == 4:
        form.wards.choices, form.themes.choices = _choices()
    return form


def fill(proposal: Proposal, body: dict, user: User) -> None:
    """Validate every section given, then save them all (or none)."""
    checked, errors = [], []
    for name, step in SECTIONS.items():
        if name not in body:
            continue
        raw = dict(body[name])
        form = step_form(step, raw)
        if _valid(form):
            checked.append((step, raw, form))
        else:
            errors.extend(form_errors(form, prefix=f"{name}."))
    if errors:
        raise ApiProblem(422, errors=errors, kind="validation")
    actor = Actor.of_user(user)
    for step, raw, form in checked:
        intake_ops.save_step(proposal, step, raw, form, actor, user=user)


def missing(proposal: Proposal) -> list[dict]:
    """What still stops the draft from being submitted (as on the review page)."""
    problems = []
    steps = (proposal.draft_data or {}).get("steps") or {}
    for number, _key, _title, _cls in STEPS:
        if number == FILE_STEP:
            continue
        section = SECTION_OF_STEP[number]
        raw = steps.get(str(number))
        if raw is None:
            problems.append({"field": section, "message": _l("まだ入力されていません。")})
            continue
        form = step_form(number, raw)
        if not _valid(form):
            problems.extend(form_errors(form, prefix=f"{section}."))
    return problems


def require_complete(proposal: Proposal) -> None:
    problems = missing(proposal)
    if problems:
        raise ApiProblem(422, detail=_l("提出の前に、足りない項目を入力してください。"), errors=problems,
                         kind="draft-incomplete")
