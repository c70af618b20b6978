"""A test generated from the declaration of audiences (proposals/visibility.py).

A unique marker goes into every text field of a proposal and into every note
that staff write through the real forms (the window's routing reason, the
co-departments' opinion and "not ours", the lead's acknowledgement, adoption
and next steps, the window's publication memo). Then every surface is read:
the applicant's status page and emails, the public catalogue, the partners
page and the open data (CSV and JSON), and the page of a department whose
assignment ended. Each marker must appear exactly where its declared audience
may read it: never outside it; public fields only after consent and approval,
and only those the consent version named."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import department_id
from intake_helpers import sign_in

from core.extensions import db
from core.models import OutboxEmail
from proposals import visibility
from proposals.lifecycle import TRANSITIONS
from proposals.models import Proposal, State
from proposals.visibility import (
    EVENT_DETAILS,
    FIELDS_BY_NAME,
    RETURNED_REASON,
    STATE_CHANGE_DATA,
    TRANSITION_NOTES,
    Audience,
    Reader,
    consented_fields,
)
from public.exports import FIELD_NAMES


def mark(name: str) -> str:
    return f"zq{name.replace('_', '')}mark"


# Declared field -> the proposal or organisation attributes that carry its text.
FIELD_CARRIERS = {
    "title": ["title"], "summary": ["summary"], "issue": ["issue"], "activities": ["activities"],
    "outcomes": ["outcomes"], "exit_strategy": ["exit_note"], "past_collaboration": ["past_collaboration"],
    "contact_name": ["contact_name"], "organisation": ["organisation.name"],
    "organisation_contact": ["organisation.representative", "organisation.address"],
}
# Notes written through the forms: marker name -> (the declared audience, how it is posted).
NOTES = {
    "routing_reason": TRANSITION_NOTES[State.ASSIGNED],
    "co_opinion": EVENT_DETAILS["co_opinion"].comment,
    "co_not_ours": RETURNED_REASON,
    "ack_note": EVENT_DETAILS["assignment_acknowledged"].comment,
    "adopt_text": TRANSITION_NOTES[State.ADOPTED],
    "next_steps": STATE_CHANGE_DATA["next_steps"],
    "agreement_note": STATE_CHANGE_DATA["agreement_note"],
    "publication_memo": EVENT_DETAILS["publication_approved"].comment,
}
CONTACT_EMAIL = "zqcontactemailmark@example.jp"


def _set(proposal: Proposal, path: str, value: str) -> None:
    target = proposal
    *owners, attribute = path.split(".")
    for owner in owners:
        target = getattr(target, owner)
    setattr(target, attribute, value)


@pytest.fixture
def journey(app, make_user, make_proposal, request):
    """The proposal through triage, two co-departments and the lead's adoption, all by the real forms."""
    version = request.param
    applicant = make_user("applicant")
    proposal = make_proposal(applicant=applicant, consent_publish=True, consent_version=version,
                             contact_email=CONTACT_EMAIL, contact_phone="0449990123")
    for field_name, paths in FIELD_CARRIERS.items():
        for path in paths:
            _set(proposal, path, mark(field_name))
    db.session.commit()
    window = app.test_client()
    sign_in(window, make_user("window"))
    ref, pid = proposal.reference, proposal.id
    response = window.post(f"/triage/{ref}/change", data={
        "form": "change", "change-lock_version": proposal.lock_version, "change-lead": department_id("ward-miyamae"),
        "change-co": [department_id("kenko-fukushi"), department_id("kodomo-mirai")],
        "change-reason": mark("routing_reason"), "do": "assign"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]

    def staff(code):
        client = app.test_client()
        sign_in(client, make_user("department_staff", code))
        return client

    lead, co, returning = staff("ward-miyamae"), staff("kenko-fukushi"), staff("kodomo-mirai")
    assert returning.post(f"/inbox/proposals/{pid}/not_ours", data={"notours-reason": mark("co_not_ours")}
                          ).status_code == 302
    assert co.post(f"/inbox/proposals/{pid}/opinion", data={"opinion-body": mark("co_opinion")}).status_code == 302
    assert lead.post(f"/inbox/proposals/{pid}/acknowledge", data={"ack-note": mark("ack_note")}).status_code == 302
    public_before = _public_surfaces(app, ref)
    assert lead.post(f"/inbox/proposals/{pid}/adopt", data={
        "adopt-text": mark("adopt_text"), "adopt-budget_year": "2027", "adopt-agreement": "y",
        "adopt-agreement_note": mark("agreement_note"), "adopt-next_steps": mark("next_steps")}).status_code == 302
    assert window.post(f"/catalogue/manage/{pid}", data={"approve": "1", "confirm": "1",
                                                         "reason": mark("publication_memo")}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, pid).publication_approved
    applicant_client = app.test_client()
    sign_in(applicant_client, applicant)
    applicant_page = applicant_client.get(f"/my/proposals/{ref}").get_data(as_text=True)
    emails = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.to_address == applicant.email)).all()
    assert emails, "the applicant was emailed along the way"
    applicant_mail = "\n".join(f"{e.subject}\n{e.body_text}" for e in emails)
    former_page = returning.get(f"/inbox/proposals/{pid}").get_data(as_text=True)
    return {
        "version": version, "public_before": public_before, "public": _public_surfaces(app, ref),
        "applicant_page": applicant_page, "applicant_mail": applicant_mail, "former": former_page,
    }


def _public_surfaces(app, reference: str) -> str:
    client = app.test_client()
    pages = [client.get(path) for path in (f"/catalogue/{reference}", "/catalogue", "/partners",
                                           "/open-data/proposals.csv", "/open-data/proposals.json")]
    return "\n".join(page.get_data(as_text=True) for page in pages)


def _markers() -> dict[str, Audience]:
    found = {mark(name): FIELDS_BY_NAME[name].audience for name in FIELD_CARRIERS}
    found[CONTACT_EMAIL] = FIELDS_BY_NAME["contact_email"].audience
    found.update({mark(name): audience for name, audience in NOTES.items()})
    return found


@pytest.mark.parametrize("journey", [1, 2], indirect=True, ids=["consent-v1", "consent-v2"])
def test_every_marker_reaches_only_its_declared_audience(journey):
    consented = set(consented_fields(journey["version"]))
    for marker, audience in _markers().items():
        applicant_may = visibility.may_read(audience, Reader.APPLICANT)
        for surface in ("applicant_page", "applicant_mail"):
            if not applicant_may:
                assert marker not in journey[surface], f"{marker} ({audience}) leaked into the {surface}"
        field_name = next((n for n in FIELD_CARRIERS if mark(n) == marker), None)
        public_may = audience == Audience.PUBLIC and (field_name is None or field_name in consented)
        assert marker not in journey["public_before"], f"{marker} public before approval"
        if public_may:
            assert marker in journey["public"], f"{marker} should be public after consent and approval"
        else:
            assert marker not in journey["public"], f"{marker} ({audience}) leaked to the public"
    # What the applicant is meant to read does reach them (so the absences above mean something).
    for name in ("ack_note", "adopt_text", "next_steps", "agreement_note"):
        assert mark(name) in journey["applicant_page"]
    assert mark("next_steps") in journey["applicant_mail"]


@pytest.mark.parametrize("journey", [2], indirect=True, ids=["consent-v2"])
def test_a_department_that_let_go_sees_nothing_added_later_and_no_personal_data(journey):
    page = journey["former"]
    assert mark("co_not_ours") in page  # its own note, written when it let go
    for later in ("co_opinion", "ack_note", "adopt_text", "next_steps", "publication_memo"):
        assert mark(later) not in page, f"{later} was added after it let go"
    for personal in (CONTACT_EMAIL, mark("contact_name")):
        assert personal not in page


def test_the_declaration_covers_every_transition_event_and_public_column():
    for move in TRANSITIONS:
        assert visibility.transition_note(move.source, move.target) in Audience
    assert set(visibility.RECORD_FIELD_OF) == set(FIELD_NAMES)
    assert {f for f in visibility.RECORD_FIELD_OF.values() if f} <= set(visibility.PUBLIC_FIELD_NAMES)
    # Every kind of event written on a proposal is declared (an undeclared one would show nothing outside).
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    kinds = set()
    for path in root.glob("*/*.py"):
        if path.parts[-2] in ("tests", ".venv", "migrations"):
            continue
        text = path.read_text(encoding="utf-8")
        kinds |= set(re.findall(r'record_event\(\s*\w+,\s*"(\w+)",\s*proposal_id=', text))
    undeclared = kinds - set(EVENT_DETAILS) - {"state_changed"}
    assert not undeclared, f"declare these event kinds in proposals/visibility.py: {sorted(undeclared)}"


def test_consent_versions_are_frozen_and_the_latest_names_every_public_field():
    assert visibility.CONSENT_VERSIONS[1] == ("title", "summary", "themes", "wards", "decision")
    assert set(visibility.CONSENT_VERSIONS[visibility.CURRENT_CONSENT_VERSION]) == set(visibility.PUBLIC_FIELD_NAMES)
    text = visibility.consent_text()
    for name in visibility.PUBLIC_FIELD_NAMES:
        assert str(FIELDS_BY_NAME[name].label) in text


def test_every_free_text_field_of_every_form_says_who_reads_it(app):
    from wtforms import StringField, TextAreaField

    from intake import forms as intake_forms
    from public import forms as public_forms
    from responses import forms as response_forms
    from routing import forms as routing_forms

    forms = [
        intake_forms.ContactStep, intake_forms.ContentStep, intake_forms.PlanStep, intake_forms.MessageForm,
        intake_forms.AnswerForm, intake_forms.WithdrawForm,
        response_forms.AcknowledgeForm, response_forms.MeetingForm, response_forms.RequestInfoForm,
        response_forms.NotOursForm, response_forms.AdoptForm, response_forms.NotAdoptForm, response_forms.OpinionForm,
        routing_forms.ChangeRoutingForm, routing_forms.InfoRequestForm, routing_forms.ResumeForm,
        routing_forms.MergeForm, public_forms.PublicationForm, public_forms.EvaluationForm,
    ]
    with app.test_request_context():
        for form_class in forms:
            form = form_class(meta={"csrf": False})
            for field in form:
                if type(field) in (StringField, TextAreaField) or isinstance(field, TextAreaField):
                    if field.short_name in ("into", "related"):  # reference numbers, not text anyone reads
                        continue
                    assert (field.render_kw or {}).get("data-audience"), f"{form_class.__name__}.{field.name}"


def test_a_proposal_with_no_recorded_consent_version_publishes_nothing_of_its_own(app, make_proposal):
    from public.exports import public_record
    from public.queries import published_proposal

    proposal = make_proposal(consent_publish=True, consent_version=None)  # consent given before versions, never migrated
    proposal.publication_approved = True
    db.session.commit()
    record = public_record(proposal)
    assert record["title"] is None and record["summary"] is None and record["reference"] == proposal.reference
    assert published_proposal(proposal.reference) is None  # and it is not listed at all

