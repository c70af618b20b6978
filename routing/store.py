"""Between the database and the pure engine: ruleset versions and the
dictionary as RulesetData, proposals as the plain data of docs/proposal.md."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa

from core.extensions import db
from core.models import Department, DepartmentKind, Theme
from proposals.models import Proposal
from routing.facts import RuleData, RulesetData, ThemeInfo
from routing.models import Keyword, Rule, RulesetStatus, RulesetVersion
from routing.text import Entry, Matcher

WINDOW_CODE = "jichi"


def theme_infos() -> dict[str, ThemeInfo]:
    rows = db.session.execute(
        sa.select(Theme.code, Department.code, Theme.ward_level, Theme.position)
        .outerjoin(Department, Department.id == Theme.owner_id)
        .where(Theme.active)
    ).all()
    return {code: ThemeInfo(code, owner, bool(level), position) for code, owner, level, position in rows}


# The last few dictionaries' matchers, keyed by their entries: building one tokenises every
# phrase (~40 ms for the shipped 1,400), reading the rows costs ~2 ms. Keyed by content, an
# edited, added or retired keyword is a new key: nothing to invalidate.
_MATCHERS: dict[tuple[Entry, ...], Matcher] = {}
_MATCHERS_KEPT = 4


def dictionary_entries() -> tuple[Entry, ...]:
    theme_codes = dict(db.session.execute(sa.select(Theme.id, Theme.code)).all())
    ward_codes = dict(db.session.execute(sa.select(Department.id, Department.code)).all())
    rows = db.session.execute(
        sa.select(Keyword.phrase, Keyword.theme_id, Keyword.ward_id, Keyword.weight)
        .where(Keyword.active).order_by(Keyword.id)
    )
    return tuple(Entry(phrase, theme=theme_codes.get(theme_id), ward=ward_codes.get(ward_id),
                       weight=float(weight or 1.0)) for phrase, theme_id, ward_id, weight in rows)


def build_matcher() -> Matcher:
    entries = dictionary_entries()
    matcher = _MATCHERS.get(entries)
    if matcher is None:
        matcher = Matcher(list(entries))
        while len(_MATCHERS) >= _MATCHERS_KEPT:
            _MATCHERS.pop(next(iter(_MATCHERS)))
        _MATCHERS[entries] = matcher
    return matcher


def rule_data(rule: Rule) -> RuleData:
    return RuleData(id=rule.id, key=rule.key, name=rule.name, priority=rule.priority,
                    condition=rule.condition or {"all": []}, actions=list(rule.actions or []), stop=rule.stop)


# Inside held_rulesets(): each version's RulesetData, built once (see there).
_held: dict[tuple[int, bool], RulesetData] | None = None


@contextlib.contextmanager
def held_rulesets() -> Iterator[None]:
    """Inside the block each ruleset version is read (rules, themes, the
    dictionary's matcher) once and reused: for a batch that routes many
    proposals and changes no rule, keyword or theme (the demo's replayed
    history). Building the matcher tokenises every keyword, the larger part
    of routing one proposal."""
    global _held
    previous, _held = _held, {}
    try:
        yield
    finally:
        _held = previous


def ruleset_data(version: RulesetVersion, matcher: Matcher | None = None,
                 themes: dict[str, ThemeInfo] | None = None, *, with_model: bool = True) -> RulesetData:
    if _held is None or matcher is not None or themes is not None:
        return _ruleset_data(version, matcher, themes, with_model=with_model)
    key = (version.id, with_model)
    if key not in _held:
        _held[key] = _ruleset_data(version, None, None, with_model=with_model)
    return _held[key]


def _ruleset_data(version: RulesetVersion, matcher: Matcher | None, themes: dict[str, ThemeInfo] | None, *,
                  with_model: bool) -> RulesetData:
    wards = frozenset(db.session.scalars(sa.select(Department.code).where(Department.kind == DepartmentKind.WARD)))
    return RulesetData(
        version=version.version, status=str(version.status),
        rules=[rule_data(r) for r in version.rules if r.active],
        themes=themes if themes is not None else theme_infos(),
        matcher=matcher if matcher is not None else build_matcher(),
        window=WINDOW_CODE, ward_codes=wards, labels=labels(),
        model=_current_model() if with_model else None,
    )


def _current_model():
    from routing.learning import current_model

    return current_model()


def labels() -> dict[str, str]:
    names = dict(db.session.execute(sa.select(Theme.code, Theme.name_ja)).all())
    names.update(db.session.execute(sa.select(Department.code, Department.name_ja)).all())
    return names


def get_version(which: str | int | None) -> RulesetVersion | None:
    """'draft', 'published' or a version number."""
    which = "published" if which in (None, "") else which
    if isinstance(which, str) and which.isascii() and which.isdigit():  # "³" is a digit to str.isdigit, not to int()
        which = int(which)
    if isinstance(which, int):
        return db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.version == which))
    status = {"draft": RulesetStatus.DRAFT, "published": RulesetStatus.PUBLISHED}.get(which)
    if status is None:
        return None
    return db.session.scalar(sa.select(RulesetVersion).where(RulesetVersion.status == status))


def department_ids(codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    return dict(db.session.execute(sa.select(Department.code, Department.id).where(Department.code.in_(codes))).all())


def proposal_input(proposal: Proposal) -> dict:
    """A stored proposal as the plain data of docs/proposal.md."""
    organisation = proposal.organisation
    return {
        "title": proposal.title or "",
        "summary": proposal.summary or "",
        "issue": proposal.issue or "",
        "activities": proposal.activities or "",
        "outcomes": proposal.outcomes or "",
        "organisation": {
            "name": organisation.name if organisation else "",
            "kind": str(organisation.kind) if organisation else None,
            "city": organisation.city if organisation else None,
        },
        "area": {"scope": str(proposal.scope) if proposal.scope else None, "wards": proposal.ward_codes},
        "themes": proposal.theme_codes,
        "stage": str(proposal.stage) if proposal.stage else None,
        "support_requested": list(proposal.support_requested or []),
        "partners_wanted": list(proposal.partners_wanted or []),
        "budget": {"total_yen": proposal.budget_total_yen, "requested_yen": proposal.budget_requested_yen},
        "exit_strategy": str(proposal.exit_strategy) if proposal.exit_strategy else None,
    }
