"""The proposal lifecycle as one explicit table.

Every state change goes through proposals.operations.transition(), which
looks the move up here. docs/lifecycle.md shows the same table; a test
checks that the document and this table agree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from proposals.models import State


class Party(enum.StrEnum):
    """Who may make a move. Users map to parties by role (see party_of)."""

    APPLICANT = "applicant"  # a member of the proposing organisation
    WINDOW = "window"  # staff of the window (自治推進部) and administrators
    DEPARTMENT = "department"  # staff of a department assigned to the proposal
    SYSTEM = "system"  # routing rules, the scheduler, the system itself


@dataclass(frozen=True)
class Transition:
    source: State
    target: State
    parties: frozenset[Party]
    comment_required: bool
    public: bool  # visible on the applicant's timeline


def _transition(source, target, parties, *, comment=False, public=True) -> Transition:
    return Transition(State(source), State(target), frozenset(parties), comment, public)


_OPEN_FOR_WITHDRAWAL = ("submitted", "triage", "assigned", "info_requested", "in_consultation")

TRANSITIONS: tuple[Transition, ...] = (
    _transition("draft", "submitted", [Party.APPLICANT]),
    _transition("submitted", "triage", [Party.SYSTEM, Party.WINDOW]),
    # Auto-routing above the confidence threshold.
    _transition("submitted", "assigned", [Party.SYSTEM, Party.WINDOW]),
    _transition("triage", "assigned", [Party.WINDOW]),
    _transition("triage", "info_requested", [Party.WINDOW], comment=True),
    _transition("triage", "merged", [Party.WINDOW], comment=True),
    _transition("submitted", "merged", [Party.WINDOW], comment=True),
    # "Not ours": back to triage, never dropped.
    _transition("assigned", "triage", [Party.DEPARTMENT, Party.WINDOW], comment=True, public=False),
    _transition("assigned", "info_requested", [Party.DEPARTMENT, Party.WINDOW], comment=True),
    _transition("assigned", "in_consultation", [Party.DEPARTMENT, Party.WINDOW]),
    _transition("assigned", "adopted", [Party.DEPARTMENT], comment=True),
    _transition("assigned", "not_adopted", [Party.DEPARTMENT], comment=True),
    _transition("in_consultation", "info_requested", [Party.DEPARTMENT, Party.WINDOW], comment=True),
    _transition("in_consultation", "triage", [Party.DEPARTMENT, Party.WINDOW], comment=True, public=False),
    _transition("in_consultation", "adopted", [Party.DEPARTMENT], comment=True),
    _transition("in_consultation", "not_adopted", [Party.DEPARTMENT], comment=True),
    # The applicant's answer resumes the clock where it stopped.
    _transition("info_requested", "triage", [Party.APPLICANT, Party.WINDOW]),
    _transition("info_requested", "assigned", [Party.APPLICANT, Party.WINDOW]),
    _transition("info_requested", "in_consultation", [Party.APPLICANT, Party.WINDOW]),
    _transition("adopted", "in_progress", [Party.DEPARTMENT, Party.WINDOW]),
    _transition("in_progress", "completed", [Party.DEPARTMENT, Party.WINDOW]),
    _transition("completed", "evaluated", [Party.DEPARTMENT, Party.WINDOW], comment=True),
    *(_transition(source, "withdrawn", [Party.APPLICANT, Party.WINDOW]) for source in _OPEN_FOR_WITHDRAWAL),
)

_BY_EDGE: dict[tuple[State, State], Transition] = {(t.source, t.target): t for t in TRANSITIONS}


def find_transition(source: State, target: State) -> Transition | None:
    return _BY_EDGE.get((State(source), State(target)))


class PublicState(enum.StrEnum):
    DRAFT = "draft"
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    WAITING_FOR_YOU = "waiting_for_you"
    ADOPTED = "adopted"
    NOT_ADOPTED = "not_adopted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"


# Thirteen internal states, ten public ones: the applicant does not need to
# know whether the window or a bureau is reading their proposal right now.
PUBLIC_STATE_OF: dict[State, PublicState] = {
    State.DRAFT: PublicState.DRAFT,
    State.SUBMITTED: PublicState.RECEIVED,
    State.TRIAGE: PublicState.RECEIVED,
    State.ASSIGNED: PublicState.UNDER_REVIEW,
    State.IN_CONSULTATION: PublicState.UNDER_REVIEW,
    State.INFO_REQUESTED: PublicState.WAITING_FOR_YOU,
    State.ADOPTED: PublicState.ADOPTED,
    State.NOT_ADOPTED: PublicState.NOT_ADOPTED,
    State.IN_PROGRESS: PublicState.IN_PROGRESS,
    State.COMPLETED: PublicState.COMPLETED,
    State.EVALUATED: PublicState.COMPLETED,
    State.WITHDRAWN: PublicState.WITHDRAWN,
    State.MERGED: PublicState.MERGED,
}

PUBLIC_STATE_LABELS = {
    PublicState.DRAFT: _l("下書き"),
    PublicState.RECEIVED: _l("受付済み"),
    PublicState.UNDER_REVIEW: _l("担当部署で検討中"),
    PublicState.WAITING_FOR_YOU: _l("追加情報をお待ちしています"),
    PublicState.ADOPTED: _l("採択"),
    PublicState.NOT_ADOPTED: _l("不採択"),
    PublicState.IN_PROGRESS: _l("実施中"),
    PublicState.COMPLETED: _l("完了"),
    PublicState.WITHDRAWN: _l("取り下げ"),
    PublicState.MERGED: _l("他の提案と統合"),
}

STATE_LABELS = {
    State.DRAFT: _l("下書き"),
    State.SUBMITTED: _l("提出済み"),
    State.TRIAGE: _l("振り分け中"),
    State.ASSIGNED: _l("担当部署に割当済み"),
    State.INFO_REQUESTED: _l("追加情報の依頼中"),
    State.IN_CONSULTATION: _l("協議中"),
    State.ADOPTED: _l("採択"),
    State.NOT_ADOPTED: _l("不採択"),
    State.WITHDRAWN: _l("取り下げ"),
    State.IN_PROGRESS: _l("実施中"),
    State.COMPLETED: _l("完了"),
    State.EVALUATED: _l("評価済み"),
    State.MERGED: _l("統合済み"),
}

OPEN_STATES = frozenset(
    {State.SUBMITTED, State.TRIAGE, State.ASSIGNED, State.INFO_REQUESTED, State.IN_CONSULTATION}
)


def public_state(state: State) -> PublicState:
    return PUBLIC_STATE_OF[State(state)]
