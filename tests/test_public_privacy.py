"""Personal data never reaches a public page or an export.

Every personal field of a published proposal (its contact, the
organisation's representative, address and phones, the applicant's and the
staff members' names and emails, a partner's pending contact) holds a
unique marker; no public page, CSV or JSON may contain any of them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from conftest import department_id
from public_helpers import place, sign_in_applicant

from core.audit import Actor
from core.extensions import db
from core.models import OrganisationKind
from proposals.models import Assignment, AssignmentRole
from public.models import Evaluation, ExitReached, PartnerInterest, ReviewDecision
from public.operations import set_publication

MARKERS = {
    "contact_name": "MKR-CONTACT-NAME-7f3a",
    "contact_email": "mkr-contact-7f3a@example.jp",
    "contact_phone": "099-7373-1111",
    "representative": "MKR-REPRESENTATIVE-7f3a",
    "address": "MKR-ADDRESS-7f3a",
    "postal_code": "999-7373",
    "org_phone": "098-7373-2222",
    "applicant_email": "mkr-applicant-7f3a@example.jp",
    "applicant_name": "MKR-APPLICANT-NAME-7f3a",
    "staff_email": "mkr-staff-7f3a@example.jp",
    "staff_name": "MKR-STAFF-NAME-7f3a",
    "window_email": "mkr-window-7f3a@example.jp",
    "window_name": "MKR-WINDOW-NAME-7f3a",
    "partner_name": "MKR-PARTNER-NAME-7f3a",
    "partner_email": "mkr-partner-7f3a@example.jp",
    "partner_phone": "097-7373-3333",
}


@pytest.fixture
def marked(make_user, make_proposal):
    applicant = make_user("applicant", email=MARKERS["applicant_email"], name=MARKERS["applicant_name"])
    staff = make_user("department_staff", "ward-asao", email=MARKERS["staff_email"], name=MARKERS["staff_name"])
    window = make_user("window", email=MARKERS["window_email"], name=MARKERS["window_name"])
    # Evaluated, so that its evaluation (final) is on the public page and in the exports too.
    proposal = place(
        make_proposal, "evaluated", published=False, applicant=applicant, title="麻生区の里山保全と環境学習",
        summary="里山で子どもたちと環境学習をします。", wards=("ward-asao",), themes=("parks-greenery", "environment"),
        contact_name=MARKERS["contact_name"], contact_email=MARKERS["contact_email"],
        contact_phone=MARKERS["contact_phone"], partners_wanted=["university", "company"], lead="ward-asao",
    )
    organisation = proposal.organisation
    organisation.kind = OrganisationKind.CIVIC_GROUP
    organisation.representative = MARKERS["representative"]
    organisation.address = MARKERS["address"]
    organisation.postal_code = MARKERS["postal_code"]
    organisation.phone = MARKERS["org_phone"]
    db.session.add(Assignment(proposal_id=proposal.id, department_id=department_id("ward-asao"),
                              role=AssignmentRole.LEAD, assigned_by_id=window.id,
                              assigned_at=datetime(2026, 5, 1, 1, tzinfo=UTC),
                              acknowledged_at=datetime(2026, 5, 2, 1, tzinfo=UTC),
                              answered_at=datetime(2026, 5, 20, 1, tzinfo=UTC), answer_due_on=date(2026, 5, 29)))
    db.session.add(Evaluation(proposal_id=proposal.id, implementation_start=date(2026, 7, 1),
                              indicators=[{"name": "参加者数", "target": "200", "actual": "150"}],
                              exit_reached=ExitReached.UNDECIDED, review_decision=ReviewDecision.CONTINUE,
                              reviewed_on=date(2026, 10, 1), summary="順調に進んでいます。",
                              updated_by_id=staff.id, department_id=staff.department_id))
    partner = make_user("applicant", name=MARKERS["partner_name"])
    db.session.add(PartnerInterest(proposal_id=proposal.id, user_id=partner.id, organisation_name="多摩の大学",
                                   organisation_kind=OrganisationKind.UNIVERSITY, offer="学生が調査に協力できます。",
                                   contact_name=MARKERS["partner_name"], contact_email=MARKERS["partner_email"],
                                   contact_phone=MARKERS["partner_phone"]))
    set_publication(proposal, True, Actor.of_user(window))
    db.session.commit()
    return proposal


def _public_urls(reference: str) -> list[str]:
    return [
        "/", "/catalogue", f"/catalogue/{reference}", "/catalogue?q=里山", "/catalogue?ward=ward-asao",
        "/catalogue?kind=civic_group", "/partners", "/partners?ward=ward-asao", "/stats", "/stats?fy=2026",
        "/stats/years.csv", "/stats/wards.csv", "/stats/themes.csv", "/stats/kinds.csv", "/stats/departments.csv",
        "/open-data", "/open-data/proposals.csv", "/open-data/proposals.json",
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_no_personal_data_on_any_public_page_or_export(client, marked, language):
    client.get(f"/lang/{language}")
    seen_title = 0
    for url in _public_urls(marked.reference):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        seen_title += "里山" in body or "ward-asao" in body
        for field, marker in MARKERS.items():
            assert marker not in body, f"{field} leaked on {url}"
            assert marker.lower() not in body.lower(), f"{field} leaked on {url}"
    assert seen_title >= 10  # the pages did show the proposal itself


def test_exports_contain_the_proposal_but_no_personal_field(client, marked):
    document = json.loads(client.get("/open-data/proposals.json").get_data(as_text=True))
    assert [p["reference"] for p in document["proposals"]] == [marked.reference]
    record = document["proposals"][0]
    assert record["title"] == "麻生区の里山保全と環境学習"
    assert record["evaluation_review_decision"] == "continue"
    serialised = json.dumps(document, ensure_ascii=False)
    for marker in MARKERS.values():
        assert marker not in serialised
    forbidden = {"contact_name", "contact_email", "contact_phone", "representative", "address", "phone",
                 "postal_code", "email", "created_by", "actor"}
    assert not forbidden & set(record)


def test_the_partner_contact_is_revealed_only_to_the_proposer_after_acceptance(app, client, marked):
    interest = db.session.scalars(db.select(PartnerInterest)).one()
    # Anonymous visitors and the public pages never see it (above); the
    # proposer sees the offer but not the contact while it is pending.
    sign_in_applicant(app, client, MARKERS["applicant_email"])
    page = client.get("/partners/interests").get_data(as_text=True)
    assert "学生が調査に協力できます。" in page
    assert MARKERS["partner_email"] not in page and MARKERS["partner_phone"] not in page
    client.post(f"/partners/interests/{interest.id}/respond", data={"decision": "accept"})
    page = client.get("/partners/interests").get_data(as_text=True)
    assert MARKERS["partner_email"] in page
