"""The authorization matrix, generated from the URL map: every route ×
method × role has a declared expectation (tests/data/security_matrix.py),
and a route without one fails the test.

Roles: anonymous; applicants of organisation A (whose proposal it is) and of
organisation B; the window's staff; staff of the department holding the
proposal, of a department not holding it, of the department whose
assignment ended ("not ours"); the holding department's manager; an
administrator.

GET is requested for every role. POST is requested (CSRF off, empty form)
only where the expectation is a refusal, so the allowed POSTs change
nothing; what they do is the feature tests' business.

Outcomes: "ok" (the view ran: 2xx, or a redirect that is not to a sign-in
page, or a 400/409/422 complaint about the input), "signin" (a redirect to
/signin or /staff/login), "403", "404", "405".
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import department_id
from intake_helpers import sign_in, tiny_pdf

from core.audit import Actor
from core.extensions import db

sys.path.insert(0, str(Path(__file__).resolve().parent / "data"))
from security_matrix import EXPECTED, ROLES  # noqa: E402

HOLDING, NOT_HOLDING, ENDED = "kenko-fukushi", "kankyo", "ward-miyamae"


@dataclass
class World:
    users: dict
    params: dict  # URL variable -> value, for every route


@pytest.fixture
def world(make_user, make_organisation, make_proposal) -> World:
    """Proposal P of organisation A, with a file, returned "not ours" by
    ward-miyamae (that assignment ended) and now held by kenko-fukushi (lead),
    in a published group; organisation B has its own proposal; A has a draft."""
    from api.views import create_token
    from core.models import OutboxEmail
    from intake import files as file_store
    from intake import operations as intake_ops
    from proposals import groups as group_ops
    from proposals import operations
    from responses import operations as answers
    from routing.models import Keyword, Rule, RulesetVersion
    from routing.seed import seed_routing

    seed_routing()
    db.session.commit()
    users = {
        "applicant_a": make_user("applicant"),
        "applicant_b": make_user("applicant"),
        "window": make_user("window", "jichi"),
        "dept_holding": make_user("department_staff", HOLDING),
        "dept_not_holding": make_user("department_staff", NOT_HOLDING),
        "dept_ended": make_user("department_staff", ENDED),
        "manager": make_user("department_manager", HOLDING),
        "admin": make_user("admin", "jichi"),
    }
    proposal = make_proposal(applicant=users["applicant_a"])
    organisation_a = proposal.organisation
    make_proposal(applicant=users["applicant_b"])
    draft = make_proposal(state="draft", applicant=users["applicant_a"])
    checked = file_store.CheckedFile("資料.pdf", "application/pdf", tiny_pdf())
    [attachment] = intake_ops.add_attachments(proposal, [checked], Actor.of_user(users["applicant_a"]),
                                              uploaded_by=users["applicant_a"])
    window = Actor.of_user(users["window"])
    [ended] = operations.assign(proposal, department_id(ENDED), [], window, reason="first try")
    answers.not_ours(ended, Actor.of_user(users["dept_ended"]), "他部署が適切です。")
    operations.assign(proposal, department_id(HOLDING), [], window, reason="second try")
    token, _secret = create_token(users["admin"], "matrix", Actor.of_user(users["admin"]))
    group = group_ops.create_group("外国人住民の手続き支援", "", window, slug="matrix-group")
    membership = group_ops.add_member(group, proposal, window)
    group_ops.set_published(group, True, window)
    db.session.commit()
    version = db.session.scalar(sa.select(RulesetVersion).order_by(RulesetVersion.version))
    params = {
        "proposal_id": proposal.id, "reference": proposal.reference, "attachment_id": attachment.id,
        "draft_id": draft.id, "organisation_id": organisation_a.id, "token": "no-such-token",
        "email_id": db.session.scalar(sa.select(sa.func.min(OutboxEmail.id))), "token_id": token.id,
        "number": version.version, "rule_id": db.session.scalar(sa.select(sa.func.min(Rule.id))),
        "keyword_id": db.session.scalar(sa.select(sa.func.min(Keyword.id))),
        "interest_id": 999_999,  # none exists: the answer must not depend on whether one does
        # The API's own ids: no token is sent, so the answer must not depend on whether they exist.
        "assignment_id": 999_999, "subscription_id": 999_999, "message_id": 999_999, "delivery_id": 999_999,
        "group_id": group.id, "membership_id": membership.id, "slug": group.slug,
        "name": "years", "action": "acknowledge", "step": 1, "filename": "css/app.css",
    }
    return World(users=users, params=params)


def _code_for(endpoint: str) -> str:
    return "en" if endpoint == "core.set_language" else NOT_HOLDING


def _url(app, rule, params: dict) -> str:
    values = {name: (_code_for(rule.endpoint) if name == "code" else params[name]) for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def routes(app) -> list[tuple[str, str, object]]:
    """(endpoint, method, rule) for every route and method, HEAD/OPTIONS aside."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return sorted(found, key=lambda item: (item[0], item[1], item[2].rule))


def key_of(endpoint: str, method: str, rule) -> str:
    # Two rules share an endpoint (routing_admin.rule: new and existing): the rule tells them apart.
    return f"{method} {rule.rule}"


def outcome(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        return "signin" if ("/signin" in location or "/staff/login" in location) else "ok"
    if status in (401, 403, 404, 405):
        return str(status)
    if status >= 500:
        return "500"
    return "ok"


def _client(app, user):
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return client


def observe(app, world: World, only_refusals: bool = True) -> dict[str, dict[str, str]]:
    """What each role gets at each route; POSTs only where a refusal is expected."""
    clients = {role: _client(app, world.users.get(role)) for role in ROLES}
    seen: dict[str, dict[str, str]] = {}
    if not only_refusals:  # every POST too: sign in again each time (POST /signout signs out)
        clients = _Resigning(app, world)
    for endpoint, method, rule in routes(app):
        key = key_of(endpoint, method, rule)
        url = _url(app, rule, world.params)
        for role in ROLES:
            expected = EXPECTED.get(key, {}).get(role)
            if method != "GET" and only_refusals and expected in (None, "ok"):
                continue
            response = clients[role].open(url, method=method, data={})
            seen.setdefault(key, {})[role] = outcome(response)
            response.close()
    return seen


class _Resigning(dict):
    def __init__(self, app, world):
        super().__init__()
        self.app, self.world = app, world

    def __missing__(self, role):
        return _client(self.app, self.world.users.get(role))


def test_every_route_and_method_has_a_declared_expectation(app):
    declared = set(EXPECTED)
    present = {key_of(*route) for route in routes(app)}
    assert not sorted(present - declared), (
        f"routes without a declared expectation in tests/data/security_matrix.py: {sorted(present - declared)}")
    assert not sorted(declared - present), f"expectations for routes that no longer exist: {sorted(declared - present)}"
    for key, by_role in EXPECTED.items():
        assert set(by_role) == set(ROLES), f"{key}: declare every role ({sorted(set(ROLES) - set(by_role))} missing)"


def test_each_role_gets_what_is_declared_at_every_route(app, world):
    dump = os.environ.get("SECURITY_MATRIX_DUMP")  # a file: write what was seen, to review and declare
    seen = observe(app, world, only_refusals=not dump)
    if dump:
        with open(dump, "w", encoding="utf-8") as out:
            for key in sorted(seen):
                out.write(f"    {key!r}: {seen[key]!r},\n")
    wrong = [f"{key} as {role}: declared {EXPECTED.get(key, {}).get(role)}, got {got}"
             for key, by_role in sorted(seen.items()) for role, got in by_role.items()
             if got != EXPECTED.get(key, {}).get(role)]
    assert not wrong, "\n".join(wrong)
    assert sum(len(by_role) for by_role in seen.values()) > 500  # the matrix really ran
