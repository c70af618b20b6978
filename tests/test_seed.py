"""`flask seed` loads reference and demo data; a second run changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from core.extensions import db
from core.models import Department, DepartmentKind, Event, Membership, Organisation, Theme, User
from core.seed import load_yaml
from demo.accounts import DEMO_STAFF
from proposals.models import Proposal, State

TABLES = (Department, Theme, User, Organisation, Membership, Proposal, Event)


def _counts() -> dict[str, int]:
    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in TABLES}


def test_seed_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    after_first = _counts()
    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0, second.output
    assert _counts() == after_first
    assert "departments=0, themes=0, staff=0, proposals=0" in second.output


def test_reference_data_matches_the_shipped_files(app):
    app.test_cli_runner().invoke(args=["seed", "--no-demo"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Department)) == len(load_yaml("departments.yaml"))
    wards = db.session.scalars(sa.select(Department.code).where(Department.kind == DepartmentKind.WARD)).all()
    assert len(wards) == 7
    elderly = db.session.scalar(sa.select(Theme).where(Theme.code == "welfare-elderly"))
    assert elderly.owner.code == "kenko-fukushi" and elderly.ward_level
    assert db.session.scalar(sa.select(Theme).where(Theme.code == "other")).owner is None


def test_demo_data_has_staff_of_each_kind_and_proposals_in_several_states(app):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    staff = {u.email: u for u in db.session.scalars(sa.select(User))}
    for email, _name, role, department in DEMO_STAFF:
        assert staff[email].role == role and staff[email].department.code == department
    states = set(db.session.scalars(sa.select(Proposal.state)))
    assert {State.TRIAGE, State.ASSIGNED, State.INFO_REQUESTED, State.ADOPTED, State.NOT_ADOPTED} <= states
    # Each demo proposal has a timeline that explains its state.
    for proposal in db.session.scalars(sa.select(Proposal).where(Proposal.state != State.DRAFT)):  # drafts: no move yet
        last = db.session.scalars(sa.select(Event).where(Event.proposal_id == proposal.id,
                                                         Event.kind == "state_changed").order_by(Event.id.desc())).first()
        assert last.to_state == proposal.state


def test_demo_accounts_command_prints_the_sign_ins(app):
    output = app.test_cli_runner().invoke(args=["demo-accounts"]).output
    assert "demo-pass-2026" in output and "admin@city.example.jp" in output


def test_the_readme_lists_the_demo_accounts_and_the_applicants_organisations(app):
    """README "Demo sign-ins" says what `make run` prints and what the demo applicant finds at /my."""
    from pathlib import Path

    from demo.accounts import DEMO_APPLICANT
    from window.seed import seed_all

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Demo sign-ins", 1)[1].split("\n## ", 1)[0]
    printed = app.test_cli_runner().invoke(args=["demo-accounts"]).output
    for email, _name, _role, department in DEMO_STAFF:
        assert email in printed and f"`{email}`" in section and f"`{department}`" in section
    assert DEMO_APPLICANT in section and "/catalogue/manage" in section
    seed_all(with_demo=True)
    applicant = db.session.scalar(sa.select(User).where(User.email == DEMO_APPLICANT))
    organisations = db.session.scalars(sa.select(Organisation).join(Membership)
                                       .where(Membership.user_id == applicant.id)).all()
    assert len(organisations) == 3 and "three organisations" in section
    assert all(o.name in section for o in organisations)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(
        Proposal.organisation_id.in_([o.id for o in organisations])))
    assert f"their {count} proposals" in section
