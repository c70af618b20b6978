"""Contract tests: schemathesis generates requests from the OpenAPI document
(valid and invalid ones) and sends them to a live server with the token of
an applicant, window staff and a department; every answer must keep the
contract: no server error, a documented status, the documented content
type, a body that matches its schema. Examples are bounded (max_examples)."""

from __future__ import annotations

import pytest
import schemathesis
import sqlalchemy as sa
from api_helpers import token_for
from conftest import department_id
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.audit import Actor
from core.extensions import db
from proposals import operations
from proposals.models import Assignment
from routing.seed import seed_routing

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 6


@pytest.fixture
def known(make_user, make_proposal):
    """Real data for the requests generated at random to find, and for the known ones."""
    seed_routing()
    published = make_proposal("triage", consent_publish=True, publication_approved=True)
    assigned = make_proposal("triage")
    operations.assign(assigned, department_id("ward-miyamae"), [], Actor.of_user(make_user("window")))
    db.session.commit()
    assignment = db.session.scalar(sa.select(Assignment.id).where(Assignment.proposal_id == assigned.id))
    return {"published": published, "assigned": assigned, "assignment": assignment}


@pytest.fixture(params=["applicant", "window", "department_staff"])
def api_token(request, make_user, known):
    if request.param == "applicant":
        user = known["assigned"].created_by
    elif request.param == "window":
        user = make_user("window")
    else:
        user = make_user("department_staff", department="ward-miyamae")
    return token_for(user)


def test_every_answer_keeps_the_contract(live_server, api_token, known):
    """Each operation in turn, as its own bounded Hypothesis run. (schemathesis'
    pytest plugin, @schema.parametrize, does not run under pytest 9 yet, so the
    operations are driven here directly.)"""
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    operations_run = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # an invalid operation in the document fails here

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def keeps_the_contract(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)

        keeps_the_contract()
        operations_run += 1
    assert operations_run >= 30

    # Real answers too (random ids rarely hit a real row): each read of a known resource keeps its schema.
    proposal_id, assignment_id = known["assigned"].id, known["assignment"]
    reads = [("/proposals", {}), ("/proposals/{proposal_id}", {"proposal_id": proposal_id}),
             ("/proposals/{proposal_id}/timeline", {"proposal_id": proposal_id}),
             ("/proposals/{proposal_id}/messages", {"proposal_id": proposal_id}), ("/triage", {}),
             ("/assignments", {}), ("/assignments/{assignment_id}", {"assignment_id": assignment_id}),
             ("/catalogue", {}), ("/catalogue/{reference}", {"reference": known["published"].reference}),
             ("/statistics", {}), ("/open-data", {}), ("/webhooks", {})]
    statuses = set()
    for path, parameters in reads:
        case = schema[path]["GET"].Case(path_parameters=parameters)
        response = case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)
        statuses.add(response.status_code)
    assert 200 in statuses
