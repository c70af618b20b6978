"""The window's pages for groups of proposals: the list and a new group
(/window/groups), a group (members with ward, department, state, outcome
and evaluation; add by reference numbers or from a list; publish, close,
introductions). Department staff open a group their proposal is in, read
only. Each change calls one operation of proposals/groups.py and commits."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core.audit import Actor
from core.auth import staff_required
from core.extensions import db
from groups.access import load_group, load_group_for_staff, require_window
from groups.forms import ActionForm, AddMembersForm, GroupForm, IntroductionForm
from proposals import groups as ops
from proposals.group_queries import evaluations_of, group_wards, introductions_of, wards_of
from proposals.groups import GroupError, GroupMembership, GroupState, ProposalGroup
from proposals.models import Proposal, State

bp = Blueprint("groups", __name__)
CANDIDATES_SHOWN = 200
_SEPARATORS = re.compile(r"[\s,、，]+")


def parse_references(text: str | None) -> list[str]:
    """KW-2026-000123 as typed: full-width, lower case, several per line."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    return list(dict.fromkeys(part for part in _SEPARATORS.split(text) if part))


def proposals_for(references: list[str], ids: list[int]) -> tuple[list[Proposal], list[str]]:
    """The proposals named by reference or picked by id, and the references that name none."""
    found = db.session.scalars(sa.select(Proposal).where(
        sa.or_(Proposal.reference.in_(references), Proposal.id.in_(ids)), Proposal.state != State.DRAFT)
        .order_by(Proposal.id)).all() if references or ids else []
    known = {p.reference for p in found}
    return found, [ref for ref in references if ref not in known]


def candidates(group: ProposalGroup | None) -> list[Proposal]:
    """Proposals the window may add, newest first (the multi-select)."""
    query = (sa.select(Proposal).where(Proposal.state.not_in(ops.NOT_GROUPABLE))
             .options(selectinload(Proposal.ward_links)))
    if group is not None:
        query = query.where(Proposal.id.not_in(
            sa.select(GroupMembership.proposal_id).where(GroupMembership.group_id == group.id)))
    return db.session.scalars(query.order_by(Proposal.submitted_at.desc(), Proposal.id.desc())
                              .limit(CANDIDATES_SHOWN)).all()


def _candidate_choices(group: ProposalGroup | None) -> list[tuple[int, str]]:
    return [(p.id, f"{p.reference} {p.title}") for p in candidates(group)]


def _add(group: ProposalGroup, form: AddMembersForm, actor: Actor) -> list[str]:
    """Add what the form names; the errors (naming each reference) or nothing."""
    references = parse_references(form.references.data)
    found, unknown = proposals_for(references, form.proposals.data or [])
    if unknown:
        return [str(_l("受付番号 %(ref)s の提案が見つかりません。", ref=ref)) for ref in unknown]
    if not found:
        return [str(_l("受付番号を入力するか、一覧から提案を選んでください。"))]
    errors = []
    for proposal in found:
        try:
            ops.add_member(group, proposal, actor)
        except GroupError as refused:
            errors.append(str(refused.message))
    return errors


# --- the list and a new group ------------------------------------------------------------------------

@bp.route("/window/groups", methods=["GET", "POST"])
@staff_required()
def index():
    require_window()
    form = GroupForm(prefix="group")
    members = AddMembersForm(prefix="add")
    members.proposals.choices = _candidate_choices(None)
    if request.method == "GET" and request.args.get("refs"):
        members.references.data = "\n".join(parse_references(request.args["refs"]))
    errors: list[str] = []
    if form.validate_on_submit() and members.validate():
        actor = Actor.of_user(current_user)
        try:
            group = ops.create_group(form.name.data, form.description.data, actor, slug=form.slug.data)
        except GroupError as refused:
            errors = [str(refused.message)]
        else:
            if members.references.data or members.proposals.data:
                errors = _add(group, members, actor)
            if not errors:
                db.session.commit()
                flash(_l("グループ「%(name)s」を作りました。", name=group.name), "success")
                return redirect(url_for("groups.detail", group_id=group.id))
        db.session.rollback()
    elif request.method == "POST":
        errors = [str(e) for field in (*form, *members) for e in field.errors]
    groups = db.session.scalars(sa.select(ProposalGroup).options(selectinload(ProposalGroup.memberships))
                                .order_by(ProposalGroup.state, ProposalGroup.created_at.desc())).all()
    return render_template("groups/index.html", groups=groups, form=form, members=members, errors=errors,
                           group_wards=group_wards, open_state=GroupState.OPEN), 400 if errors else 200


# --- one group ---------------------------------------------------------------------------------------

def _render(group: ProposalGroup, own: set[int] | None, *, errors=None, forms=None, status=200):
    full = own is None
    memberships = group.memberships
    forms = forms or {}
    edit = forms.get("edit") or GroupForm(prefix="group", obj=group, formdata=None)
    add = forms.get("add") or AddMembersForm(prefix="add", formdata=None)
    introduce = forms.get("introduce") or IntroductionForm(prefix="intro", formdata=None)
    if full:
        add.proposals.choices = _candidate_choices(group)
        if request.method == "GET" and request.args.get("add"):
            add.references.data = "\n".join(parse_references(request.args["add"]))
        consenting = [(m.id, f"{m.proposal.reference} {m.proposal.organisation.name if m.proposal.organisation else ''}")
                      for m in memberships if m.consented]
        introduce.first.choices = introduce.second.choices = consenting
        if "introduce" not in forms and len(consenting) >= 2:
            introduce.second.data = consenting[1][0]  # two different organisations to start with
    return render_template(
        "groups/detail.html", group=group, memberships=memberships, full=full, own=own or set(),
        evaluations=evaluations_of([m.proposal_id for m in memberships]), wards_of=wards_of,
        wards=group_wards(group), introductions=introductions_of(group) if full else [],
        edit=edit, add=add, introduce=introduce, action=ActionForm(), errors=errors or [],
    ), status


@bp.route("/window/groups/<int:group_id>")
@staff_required()
def detail(group_id: int):
    group, own = load_group_for_staff(group_id)
    return _render(group, own)


@bp.route("/window/groups/<int:group_id>/edit", methods=["POST"])
@staff_required()
def edit(group_id: int):
    group = load_group(group_id)
    form = GroupForm(prefix="group")
    if not form.validate_on_submit():
        return _render(group, None, errors=[str(e) for f in form for e in f.errors], forms={"edit": form}, status=400)
    try:
        ops.update_group(group, form.name.data, form.description.data, Actor.of_user(current_user),
                         slug=form.slug.data)
    except GroupError as refused:
        db.session.rollback()
        return _render(group, None, errors=[str(refused.message)], forms={"edit": form}, status=400)
    db.session.commit()
    flash(_l("グループを保存しました。"), "success")
    return redirect(url_for("groups.detail", group_id=group.id))


@bp.route("/window/groups/<int:group_id>/members", methods=["POST"])
@staff_required()
def add_members(group_id: int):
    group = load_group(group_id)
    form = AddMembersForm(prefix="add")
    errors = _add(group, form, Actor.of_user(current_user)) if form.validate_on_submit() else \
        [str(e) for f in form for e in f.errors]
    if errors:
        db.session.rollback()
        return _render(group, None, errors=errors, forms={"add": form}, status=400)
    db.session.commit()
    flash(_l("提案をグループに追加しました。"), "success")
    return redirect(url_for("groups.detail", group_id=group.id) + "#members")


@bp.route("/window/groups/<int:group_id>/members/<int:membership_id>/remove", methods=["POST"])
@staff_required()
def remove_member(group_id: int, membership_id: int):
    group = load_group(group_id)
    membership = db.session.get(GroupMembership, membership_id)
    if membership is None or membership.group_id != group.id or not ActionForm().validate_on_submit():
        abort(404)
    ops.remove_member(membership, Actor.of_user(current_user))
    db.session.commit()
    flash(_l("提案をグループから外しました。"), "success")
    return redirect(url_for("groups.detail", group_id=group.id) + "#members")


@bp.route("/window/groups/<int:group_id>/publish", methods=["POST"])
@staff_required()
def publish(group_id: int):
    group = load_group(group_id)
    form = ActionForm()
    if not form.validate_on_submit() or form.value.data not in ("1", "0"):
        abort(400)
    ops.set_published(group, form.value.data == "1", Actor.of_user(current_user))
    db.session.commit()
    flash(_l("公開ページを公開しました。") if group.published else _l("公開ページを非公開にしました。"), "success")
    return redirect(url_for("groups.detail", group_id=group.id))


@bp.route("/window/groups/<int:group_id>/state", methods=["POST"])
@staff_required()
def change_state(group_id: int):
    group = load_group(group_id)
    form = ActionForm()
    if not form.validate_on_submit() or form.value.data not in ("close", "reopen"):
        abort(400)
    actor = Actor.of_user(current_user)
    try:
        ops.close_group(group, actor) if form.value.data == "close" else ops.reopen_group(group, actor)
    except GroupError as refused:
        db.session.rollback()
        return _render(group, None, errors=[str(refused.message)], status=409)
    db.session.commit()
    flash(_l("グループを終了しました。") if not group.is_open else _l("グループを再開しました。"), "success")
    return redirect(url_for("groups.detail", group_id=group.id))


@bp.route("/window/groups/<int:group_id>/introductions", methods=["POST"])
@staff_required()
def introduce(group_id: int):
    group = load_group(group_id)
    form = IntroductionForm(prefix="intro")
    if not form.validate_on_submit():
        return _render(group, None, errors=[str(e) for f in form for e in f.errors], forms={"introduce": form},
                       status=400)
    first, second = (db.session.get(GroupMembership, form.first.data or 0),
                     db.session.get(GroupMembership, form.second.data or 0))
    if first is None or second is None or first.group_id != group.id or second.group_id != group.id:
        return _render(group, None, errors=[str(_l("紹介する団体を2つ選んでください。"))], forms={"introduce": form},
                       status=400)
    try:
        ops.introduce(first, second, Actor.of_user(current_user), form.note.data or "")
    except GroupError as refused:
        db.session.rollback()
        return _render(group, None, errors=[str(refused.message)], forms={"introduce": form}, status=409)
    db.session.commit()
    flash(_l("2つの団体に紹介のメールを送りました。"), "success")
    return redirect(url_for("groups.detail", group_id=group.id) + "#introductions")
