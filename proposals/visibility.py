"""Who sees what: the one declaration of audiences.

Every field of a proposal, every note (comment) of every transition, every
detail of every event on a proposal and every message has an audience here.
Pages, emails, open data, exports and the API ask this module; none decides
on its own. A test generated from this declaration (tests/test_visibility.py)
writes a marker into every non-public field and note through the real forms
and checks it never reaches an applicant page, an applicant email, a public
page or the open data.

Readers, from the narrowest:
- a department that holds the proposal now (HOLDER) and the window (WINDOW);
- a department whose assignment ended (FORMER_HOLDER): what it saw when it
  let go, never anything written later and never personal data;
- the applicant (APPLICANT): the members of the proposing organisation;
- the public (PUBLIC): only fields the applicant's consent named, and only
  after the window approved publication.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from proposals.models import State


class Reader(enum.StrEnum):
    HOLDER = "holder"
    WINDOW = "window"
    FORMER_HOLDER = "former_holder"
    APPLICANT = "applicant"
    PUBLIC = "public"


class Audience(enum.StrEnum):
    INTERNAL = "internal"  # 庁内のみ
    PERSONAL = "personal"  # personal data: the departments holding it, the window and the applicant
    APPLICANT = "applicant"  # the applicant and staff
    PUBLIC = "public"  # also the public, after consent and approval


READERS: dict[Audience, frozenset[Reader]] = {
    Audience.INTERNAL: frozenset({Reader.HOLDER, Reader.WINDOW, Reader.FORMER_HOLDER}),
    Audience.PERSONAL: frozenset({Reader.HOLDER, Reader.WINDOW, Reader.APPLICANT}),
    Audience.APPLICANT: frozenset({Reader.HOLDER, Reader.WINDOW, Reader.FORMER_HOLDER, Reader.APPLICANT}),
    Audience.PUBLIC: frozenset(Reader),
}

# The line under every free-text field's label: who will read what is typed.
NOTES = {
    Audience.INTERNAL: _l("庁内のみ（提案者には表示されません）"),
    Audience.PERSONAL: _l("担当部署と提案者のみ（個人情報として扱い、公開しません）"),
    Audience.APPLICANT: _l("申請者に表示されます"),
    Audience.PUBLIC: _l("申請者に表示され、承認後に公開されます"),
}


# The same, told to the applicant filling in their own form (they are the applicant).
NOTES_TO_APPLICANT = {
    Audience.INTERNAL: NOTES[Audience.INTERNAL],
    Audience.PERSONAL: _l("市の担当部署だけが読みます（個人情報として扱い、公開しません）"),
    Audience.APPLICANT: _l("市の担当部署が読みます（公開されません）"),
    Audience.PUBLIC: _l("市の担当部署が読みます。公開に同意した場合、承認後に公開されます"),
}


def may_read(audience: Audience, reader: Reader | None) -> bool:
    return reader is not None and reader in READERS[Audience(audience)]


def note(audience: Audience, writer: str | None = None) -> str:
    notes = NOTES_TO_APPLICANT if writer == "applicant" else NOTES
    return str(notes[Audience(audience)])


def field_kw(audience: Audience, *, writer: str = "staff") -> dict[str, Any]:
    """`render_kw` for a form field: the field macro shows the audience's line
    under the label, and the input carries data-audience for tests."""
    return {"data-audience": Audience(audience).value, "data-writer": writer}


# --- the proposal's fields ------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    audience: Audience


# In the order the consent text names them. Public fields are the applicant's own content, which the
# catalogue and open data show only if the consent version named them. What the city itself records
# (reference, status, lead department, the final evaluation) is public for every published proposal.
PROPOSAL_FIELDS: tuple[Field, ...] = (
    Field("title", _l("タイトル"), Audience.PUBLIC),
    Field("summary", _l("概要"), Audience.PUBLIC),
    Field("themes", _l("分野"), Audience.PUBLIC),
    Field("wards", _l("区"), Audience.PUBLIC),
    Field("decision", _l("結果"), Audience.PUBLIC),
    Field("organisation", _l("団体名と種別"), Audience.PUBLIC),
    Field("stage", _l("段階"), Audience.PUBLIC),
    Field("issue", _l("地域の課題・背景"), Audience.PUBLIC),
    Field("activities", _l("事業の内容"), Audience.PUBLIC),
    Field("outcomes", _l("期待される成果"), Audience.PUBLIC),
    Field("support_requested", _l("市に求める支援"), Audience.PUBLIC),
    Field("partners_wanted", _l("求めるパートナー"), Audience.PUBLIC),
    Field("budget", _l("予算"), Audience.PUBLIC),
    Field("period", _l("予定期間"), Audience.PUBLIC),
    Field("exit_strategy", _l("出口戦略"), Audience.PUBLIC),
    Field("past_collaboration", _l("市との協働の経験"), Audience.APPLICANT),
    Field("attachments", _l("添付ファイル"), Audience.PERSONAL),
    Field("contact_name", _l("担当者の氏名"), Audience.PERSONAL),
    Field("contact_email", _l("担当者のメールアドレス"), Audience.PERSONAL),
    Field("contact_phone", _l("担当者の電話番号"), Audience.PERSONAL),
    Field("organisation_contact", _l("団体の代表者・所在地・電話番号"), Audience.PERSONAL),
)
FIELDS_BY_NAME = {f.name: f for f in PROPOSAL_FIELDS}
PUBLIC_FIELD_NAMES = tuple(f.name for f in PROPOSAL_FIELDS if f.audience == Audience.PUBLIC)
PERSONAL_FIELD_NAMES = tuple(f.name for f in PROPOSAL_FIELDS if f.audience == Audience.PERSONAL)

# Which declared field each column of the public record (public/exports.FIELDS) belongs to; None: the
# city's own record, public for every published proposal.
RECORD_FIELD_OF: dict[str, str | None] = {
    "reference": None, "url": None, "fiscal_year": None, "submitted_on": None, "status": None,
    "title": "title", "summary": "summary", "issue": "issue", "activities": "activities", "outcomes": "outcomes",
    "themes": "themes", "wards": "wards", "scope": "wards", "stage": "stage",
    "organisation_name": "organisation", "organisation_kind": "organisation",
    "support_requested": "support_requested", "partners_wanted": "partners_wanted",
    "budget_total_yen": "budget", "budget_requested_yen": "budget", "period_start": "period", "period_end": "period",
    "exit_strategy": "exit_strategy", "exit_note": "exit_strategy",
    "lead_department": None, "lead_department_name": None, "decided_on": "decision", "decision_reason": "decision",
    "evaluation_implementation_start": None, "evaluation_implementation_end": None, "evaluation_indicators": None,
    "evaluation_exit_reached": None, "evaluation_exit_note": None, "evaluation_review_decision": None,
    "evaluation_reviewed_on": None, "evaluation_summary": None,
}


# --- consent ---------------------------------------------------------------------------------------

# Each version of the consent text names the fields it lets the city publish. A version never changes
# once applicants agreed to it: when the declaration grows, add a version (a test insists).
CONSENT_VERSIONS: dict[int, tuple[str, ...]] = {
    1: ("title", "summary", "themes", "wards", "decision"),  # 「タイトル・概要・分野・区・結果だけを公開します」
    2: PUBLIC_FIELD_NAMES,
}
CURRENT_CONSENT_VERSION = max(CONSENT_VERSIONS)


def consented_fields(version: int | None) -> tuple[str, ...]:
    return CONSENT_VERSIONS.get(version or 0, ())


def versions_naming(field_name: str) -> list[int]:
    return [v for v, names in CONSENT_VERSIONS.items() if field_name in names]


def consent_text(version: int = CURRENT_CONSENT_VERSION) -> str:
    """Step 7's words, generated from the fields this version names."""
    names = "・".join(str(FIELDS_BY_NAME[name].label) for name in consented_fields(version))
    return str(_l("公開するのは次の項目だけです: %(fields)s。団体の連絡先や担当者の情報は公開しません。掲載前に市の職員が確認します。",
                  fields=names))


def public_record_view(record: dict[str, Any], consent_version: int | None) -> dict[str, Any]:
    """The public record with every column the consent did not name emptied."""
    allowed = set(consented_fields(consent_version))
    view = dict(record)
    for column, field_name in RECORD_FIELD_OF.items():
        if field_name is not None and field_name not in allowed and column in view:
            view[column] = [] if isinstance(view[column], list) else None
    return view


# --- notes of transitions, by the state reached ---------------------------------------------------------

TRANSITION_NOTES: dict[State, Audience] = {
    State.SUBMITTED: Audience.APPLICANT,
    State.TRIAGE: Audience.INTERNAL,  # "not ours": why it went back
    State.ASSIGNED: Audience.INTERNAL,  # the window's reason for the routing: the record and rule tuning
    State.INFO_REQUESTED: Audience.APPLICANT,  # the question
    State.IN_CONSULTATION: Audience.APPLICANT,
    State.ADOPTED: Audience.PUBLIC,  # 提案者へのお知らせ, also the public 結果
    State.NOT_ADOPTED: Audience.PUBLIC,
    State.WITHDRAWN: Audience.APPLICANT,  # the applicant's own reason
    State.MERGED: Audience.APPLICANT,
    State.IN_PROGRESS: Audience.APPLICANT,
    State.COMPLETED: Audience.APPLICANT,
    State.EVALUATED: Audience.APPLICANT,
}

# --- other events on a proposal: the comment's audience and each data key's -----------------------------


@dataclass(frozen=True)
class EventDetail:
    comment: Audience
    data: dict[str, Audience]


# Data of state changes that the applicant reads (the rest of an event's data is internal).
STATE_CHANGE_DATA = {
    "reference": Audience.APPLICANT, "lead": Audience.APPLICANT, "co": Audience.APPLICANT,
    "merged_into": Audience.APPLICANT, "message_id": Audience.APPLICANT,
    "next_steps": Audience.APPLICANT, "budget_year": Audience.APPLICANT, "agreement": Audience.APPLICANT,
    "agreement_note": Audience.APPLICANT, "meeting_options": Audience.APPLICANT,
}

EVENT_DETAILS: dict[str, EventDetail] = {
    "assignment_acknowledged": EventDetail(Audience.APPLICANT, {"role": Audience.APPLICANT}),
    "meeting_proposed": EventDetail(Audience.APPLICANT, {"meeting_options": Audience.APPLICANT,
                                                         "message_id": Audience.APPLICANT}),
    "message_posted": EventDetail(Audience.APPLICANT, {"message_id": Audience.APPLICANT}),
    "attachment_added": EventDetail(Audience.APPLICANT, {}),
    "publication_approved": EventDetail(Audience.INTERNAL, {}),  # the window's memo
    "publication_withdrawn": EventDetail(Audience.INTERNAL, {}),
    "co_assignment_returned": EventDetail(Audience.INTERNAL, {}),
    "co_opinion": EventDetail(Audience.INTERNAL, {}),
    "evaluation_recorded": EventDetail(Audience.INTERNAL, {}),
    "evaluation_updated": EventDetail(Audience.INTERNAL, {}),
    "co_assignments_closed": EventDetail(Audience.INTERNAL, {}),
    "attachment_removed": EventDetail(Audience.APPLICANT, {"filename": Audience.APPLICANT}),
    "draft_created": EventDetail(Audience.APPLICANT, {}),
    "organisation_created": EventDetail(Audience.APPLICANT, {}),
    "organisation_updated": EventDetail(Audience.APPLICANT, {}),
    "partner_interest_expressed": EventDetail(Audience.APPLICANT, {}),
    "partner_interest_withdrawn": EventDetail(Audience.APPLICANT, {}),
    "partners_wanted_changed": EventDetail(Audience.APPLICANT, {}),
    "proposal_linked": EventDetail(Audience.INTERNAL, {}),  # the window's note on a related proposal
    "routing_confirmed": EventDetail(Audience.INTERNAL, {}),
    "routing_overridden": EventDetail(Audience.INTERNAL, {}),  # the reason for changing the routing
    "personal_data_viewed": EventDetail(Audience.INTERNAL, {}),
    "personal_data_purged": EventDetail(Audience.INTERNAL, {}),
    "outbox_resent": EventDetail(Audience.INTERNAL, {}),  # an administrator resent a stuck email
}
UNDECLARED = EventDetail(Audience.INTERNAL, {})  # an undeclared kind shows nothing outside the city


# A note on the way back from an information request (the window resuming without an answer) is the
# applicant's: it tells them why the city goes on. It wins over the note of the state reached.
TRANSITION_NOTES_FROM: dict[State, Audience] = {State.INFO_REQUESTED: Audience.APPLICANT}


def transition_note(source: State | str | None, target: State | str) -> Audience:
    if source is not None and State(source) in TRANSITION_NOTES_FROM:
        return TRANSITION_NOTES_FROM[State(source)]
    return TRANSITION_NOTES[State(target)]


def comment_audience(event) -> Audience:
    if event.kind == "state_changed":
        if not event.to_state:
            return Audience.INTERNAL
        return transition_note(event.from_state, event.to_state)
    return EVENT_DETAILS.get(event.kind, UNDECLARED).comment


def data_audience(event, key: str) -> Audience:
    if event.kind == "state_changed":
        return STATE_CHANGE_DATA.get(key, Audience.INTERNAL)
    return EVENT_DETAILS.get(event.kind, UNDECLARED).data.get(key, Audience.INTERNAL)


def comment_for(event, reader: Reader | None) -> str | None:
    """The event's comment if this reader may read it."""
    return event.comment if event.comment and may_read(comment_audience(event), reader) else None


def data_for(event, reader: Reader | None) -> dict[str, Any]:
    return {k: v for k, v in (event.data or {}).items() if may_read(data_audience(event, k), reader)}


def message_audience(message) -> Audience:
    return Audience.INTERNAL if message.internal else Audience.APPLICANT


# Assignment.returned_reason: why a department gave the proposal back.
RETURNED_REASON = Audience.INTERNAL


def written_before(created_at: datetime | None, released_at: datetime | None) -> bool:
    """A former holder sees what existed when it let go, nothing added later."""
    return released_at is None or (created_at is not None and created_at <= released_at)
