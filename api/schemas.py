"""Request and response schemas (marshmallow): flask-smorest validates
requests with them, serialises responses through them and writes the
OpenAPI document from them."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

from proposals.lifecycle import PublicState
from proposals.models import State

TEXT_MAX = 20000
Str = f.String


def bounded(max_length: int = TEXT_MAX, **kwargs):
    return Str(validate=v.Length(max=max_length), **kwargs)


def required_text(max_length: int = TEXT_MAX, **kwargs):
    return Str(required=True, validate=v.Length(min=1, max=max_length), **kwargs)


def strings(max_items: int = 50, **kwargs):
    return f.List(Str(validate=v.Length(max=200)), validate=v.Length(max=max_items), **kwargs)


class Strict(ma.Schema):
    """Unknown fields are refused (a typo is an error, never silently ignored)."""

    class Meta:
        unknown = ma.RAISE


# --- pagination -------------------------------------------------------------------------------------------

class PageArgs(Strict):
    cursor = Str(validate=v.Length(max=100), metadata={"description": "next_cursor of the previous page"})
    limit = f.Integer(load_default=20, validate=v.Range(min=1, max=100))


# --- drafts: one object per step of the form, as typed on the page ------------------------------------------

class OrganisationSection(Strict):
    name = bounded(200)
    name_kana = bounded(200)
    kind = bounded(40, metadata={"description": "npo_corp, civic_group, company, neighborhood_assoc, university, "
                                             "school, social_welfare_council, intermediary, other"})
    corporate_number = bounded(40)
    representative = bounded(200)
    postal_code = bounded(20)
    address = bounded(300)
    phone = bounded(40)
    website = bounded(300)
    founded_year = bounded(20, metadata={"description": "2015 or 平成27年"})
    member_count = bounded(20)


class ContactSection(Strict):
    contact_name = bounded(200)
    contact_email = bounded(254)
    contact_phone = bounded(40)
    past_collaboration = bounded(2000)


class ContentSection(Strict):
    title = bounded(200)
    summary = bounded(400)
    issue = bounded(4000)
    activities = bounded(4000)
    outcomes = bounded(4000)


class AreaSection(Strict):
    scope = bounded(20, metadata={"description": "ward, multi_ward, citywide or undecided"})
    wards = strings(metadata={"description": "ward codes, e.g. ward-miyamae"})
    themes = strings(metadata={"description": "up to 3 theme codes"})
    stage = bounded(20, metadata={"description": "seed or established"})


class PlanSection(Strict):
    support_requested = strings()
    partners_wanted = strings()
    budget_total = bounded(40, metadata={"description": "yen: 800000, 800,000 or 80万円"})
    budget_requested = bounded(40)
    period_start = bounded(20, metadata={"description": "YYYY-MM-DD"})
    period_end = bounded(20)
    exit_strategy = bounded(20, metadata={"description": "policy, business, national, time_limited or undecided"})
    exit_note = bounded(2000)


class DraftIn(Strict):
    organisation_id = f.Integer(validate=v.Range(min=1, max=2**31 - 1),
                                metadata={"description": "one of the applicant's organisations (optional)"})
    organisation = f.Nested(OrganisationSection)
    contact = f.Nested(ContactSection)
    content = f.Nested(ContentSection)
    area = f.Nested(AreaSection)
    plan = f.Nested(PlanSection)


class SubmitIn(Strict):
    consent_privacy = f.Boolean(required=True, validate=v.Equal(True),
                                metadata={"description": "must be true: the applicant agrees to the privacy terms"})
    consent_publish = f.Boolean(load_default=False)


class CommentIn(Strict):
    comment = bounded(4000)


class RequiredCommentIn(Strict):
    comment = required_text(4000)


class MessageIn(Strict):
    body = required_text(8000)
    parent_id = f.Integer(validate=v.Range(min=1, max=2**31 - 1))


class AnswerIn(Strict):
    body = required_text(8000)


class FileIn(ma.Schema):
    file = f.Raw(required=True, metadata={"type": "string", "format": "binary"})


# --- responses -------------------------------------------------------------------------------------------------

class OrganisationOut(ma.Schema):
    id = f.Integer()
    name = Str()
    kind = Str()


class ProposalOut(ma.Schema):
    id = f.Integer(required=True)
    reference = Str(allow_none=True)
    status = Str(required=True, validate=v.OneOf([s.value for s in PublicState]),
                 metadata={"description": "the public status (what the applicant sees)"})
    status_label = Str()
    state = Str(allow_none=True, validate=v.OneOf([s.value for s in State]),
                metadata={"description": "the internal state (staff tokens only; null for applicants)"})
    version = Str(required=True, metadata={"description": "the ETag; send it back in If-Match to change the proposal"})
    title = Str()
    summary = Str()
    issue = Str()
    activities = Str()
    outcomes = Str()
    scope = Str(allow_none=True)
    stage = Str(allow_none=True)
    themes = f.List(Str())
    wards = f.List(Str())
    support_requested = f.List(Str())
    partners_wanted = f.List(Str())
    budget_total_yen = f.Integer(allow_none=True)
    budget_requested_yen = f.Integer(allow_none=True)
    period_start = f.Date(allow_none=True)
    period_end = f.Date(allow_none=True)
    exit_strategy = Str(allow_none=True)
    exit_note = Str()
    organisation = f.Nested(OrganisationOut, allow_none=True)
    contact_name = Str()
    contact_email = Str()
    contact_phone = Str()
    lead_department = Str(allow_none=True)
    submitted_at = f.DateTime(allow_none=True)
    decided_at = f.DateTime(allow_none=True)
    updated_at = f.DateTime(allow_none=True)
    missing = f.List(f.Dict(), metadata={"description": "drafts: what must still be filled in before submitting"})


class ProposalPage(ma.Schema):
    items = f.List(f.Nested(ProposalOut), required=True)
    next_cursor = Str(allow_none=True, required=True)


class TimelineItem(ma.Schema):
    id = f.Integer()
    at = f.DateTime()
    kind = Str()
    status_from = Str(allow_none=True)
    status_to = Str(allow_none=True)
    comment = Str(allow_none=True)
    department = Str(allow_none=True)


class Timeline(ma.Schema):
    items = f.List(f.Nested(TimelineItem), required=True)


class MessageOut(ma.Schema):
    id = f.Integer()
    body = Str()
    at = f.DateTime()
    parent_id = f.Integer(allow_none=True)
    from_applicant = f.Boolean()
    department = Str(allow_none=True)
    internal = f.Boolean()


class Messages(ma.Schema):
    items = f.List(f.Nested(MessageOut), required=True)


class AttachmentOut(ma.Schema):
    id = f.Integer()
    filename = Str()
    content_type = Str()
    size_bytes = f.Integer()
    sha256 = Str()


# --- the window -----------------------------------------------------------------------------------------------

class TriageArgs(PageArgs):
    state = Str(validate=v.OneOf(["open", *[s.value for s in State]]), load_default="open")
    ward = bounded(64)
    theme = bounded(64)
    kind = bounded(40)
    lead = bounded(64)
    needs_triage = f.Boolean()
    q = bounded(200, metadata={"description": "words in the title or summary"})


class RoutingChangeIn(Strict):
    lead = required_text(64, metadata={"description": "department code of the lead"})
    co = strings(20, load_default=list, metadata={"description": "department codes of co-departments"})
    reason = required_text(4000)
    assign = f.Boolean(load_default=True, metadata={"description": "false: save the routing, keep it in triage"})


class LinkIn(Strict):
    related = required_text(32, metadata={"description": "reference of the related proposal"})
    note = bounded(2000)


class MergeIn(Strict):
    into = required_text(32, metadata={"description": "reference of the proposal to merge into"})
    reason = required_text(4000)


# --- departments ----------------------------------------------------------------------------------------------

class AssignmentOut(ma.Schema):
    id = f.Integer(required=True)
    proposal_id = f.Integer()
    reference = Str(allow_none=True)
    title = Str()
    department = Str()
    role = Str(validate=v.OneOf(["lead", "co"]))
    status = Str()
    assigned_at = f.DateTime()
    acknowledged_at = f.DateTime(allow_none=True)
    answered_at = f.DateTime(allow_none=True)
    ack_due_on = f.Date(allow_none=True)
    answer_due_on = f.Date(allow_none=True)
    paused = f.Boolean()
    proposal_state = Str()
    proposal_version = Str()


class AssignmentPage(ma.Schema):
    items = f.List(f.Nested(AssignmentOut), required=True)
    next_cursor = Str(allow_none=True, required=True)


class AssignmentArgs(PageArgs):
    status = Str(validate=v.OneOf(["active", "returned", "closed"]), load_default="active")


class AcknowledgeIn(Strict):
    note = bounded(4000)


class QuestionIn(Strict):
    question = required_text(4000)


class OpinionIn(Strict):
    body = required_text(8000)


class AdoptIn(Strict):
    text = required_text(8000, metadata={"description": "what the applicant is told"})
    budget_year = f.Integer(allow_none=True, validate=v.Range(min=2000, max=2200))
    agreement = f.Boolean(load_default=False)
    agreement_note = bounded(2000, load_default="")
    next_steps = bounded(4000, load_default="")
    without_opinions = f.Boolean(load_default=False, metadata={
        "description": "decide although a co-department has given no opinion yet (the page's 「意見がないまま登録する」)"})


class DeclineIn(Strict):
    reason = required_text(8000, metadata={"description": "internal reason (staff only)"})
    applicant_text = required_text(8000, metadata={"description": "what the applicant is told"})
    without_opinions = f.Boolean(load_default=False, metadata={
        "description": "decide although a co-department has given no opinion yet (the page's 「意見がないまま登録する」)"})


class NotOursIn(Strict):
    reason = required_text(4000)
    suggested_department = bounded(64, metadata={"description": "code of the department that fits better"})


class EventOut(ma.Schema):
    event_id = f.Integer()
    kind = Str()
    proposal_version = Str(allow_none=True)


# --- everyone ----------------------------------------------------------------------------------------------------

class CatalogueArgs(PageArgs):
    theme = bounded(64)
    ward = bounded(64)
    status = bounded(40)
    fy = f.Integer(validate=v.Range(min=1990, max=2200))


class PublicRecord(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    reference = Str(required=True)
    url = Str()
    status = Str()
    # Null when the consent the applicant gave did not name the field (proposals/visibility.py).
    title = Str(allow_none=True)
    summary = Str(allow_none=True)
    themes = f.List(Str())
    wards = f.List(Str())


class CataloguePage(ma.Schema):
    items = f.List(f.Dict(), required=True, metadata={"description": "public records (docs/open-data.md)"})
    next_cursor = Str(allow_none=True, required=True)


class Statistics(ma.Schema):
    totals = f.Dict()
    by_fiscal_year = f.List(f.Dict())
    by_ward = f.List(f.Dict())
    by_theme = f.List(f.Dict())
    by_organisation_kind = f.List(f.Dict())


class OpenData(ma.Schema):
    schema_version = f.Integer()
    schema = Str()
    licence = Str()
    publisher = Str()
    proposals = f.List(f.Dict())


class StatisticsArgs(Strict):
    fy = f.Integer(validate=v.Range(min=1990, max=2200))


class RoutingPreviewArgs(Strict):
    ruleset = bounded(20, load_default="published", metadata={"description": "draft, published or a version number"})


class RoutingPreviewIn(ma.Schema):
    """A proposal in the shape of reference/proposal.md (the engine checks it)."""

    class Meta:
        unknown = ma.INCLUDE


class DecisionOut(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    lead = Str(allow_none=True)
    co = f.List(Str())
    needs_triage = f.Boolean()
    themes = f.List(Str())
    confidence = f.Float()
    ruleset_version = f.Integer()
    rules = f.List(f.Dict())
    inferred = f.List(f.Dict())
