"""Personal tokens: made on /settings/api-tokens by staff and applicants or
by `flask tokens create`; shown once, stored as a digest, scoped, expiring,
revocable by their owner only. The documentation page lists the API."""

from __future__ import annotations

import re

import sqlalchemy as sa
from api_helpers import Api
from conftest import screenshot
from intake_helpers import sign_in

from api.models import ApiToken
from core.extensions import db
from core.models import Event


def _made_token(html: str) -> str:
    return re.search(r"(kwt_[A-Za-z0-9_\-]+)", html).group(1)


def test_an_applicant_makes_uses_and_revokes_a_token(client, make_proposal):
    proposal = make_proposal("triage")
    sign_in(client, proposal.created_by)
    page = client.get("/settings/api-tokens/")
    assert page.status_code == 200 and "APIトークン" in page.get_data(as_text=True)
    made = client.post("/settings/api-tokens/", data={"name": "中間支援の受付システム", "act": "y", "days": "30"})
    html = made.get_data(as_text=True)
    token = _made_token(html)
    row = db.session.scalar(sa.select(ApiToken))
    assert row.token_hash != token and token not in str(row.__dict__)
    assert row.scopes == "read,act" and row.user_id == proposal.created_by_id
    assert round((row.expires_at - row.created_at).total_seconds() / 86400) == 30
    assert client.get("/settings/api-tokens/").get_data(as_text=True).count(token) == 0  # shown once

    api = Api(client, token)
    assert api.get(f"/api/v1/proposals/{proposal.id}").status_code == 200
    client.post(f"/settings/api-tokens/{row.id}/revoke")
    assert api.get(f"/api/v1/proposals/{proposal.id}").status_code == 401
    assert db.session.scalar(sa.select(Event).where(Event.kind == "api_token_revoked")) is not None


def test_the_form_explains_its_errors_and_others_tokens_cannot_be_revoked(client, make_user):
    staff = make_user("department_staff", department="ward-miyamae")
    sign_in(client, staff)
    refused = client.post("/settings/api-tokens/", data={"name": "", "days": "999"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "用途を入力してください" in html and "365日" in html
    client.post("/settings/api-tokens/", data={"name": "庁内ワークフロー", "days": "7"})
    row = db.session.scalar(sa.select(ApiToken))
    assert row.scopes == "read"
    other = make_user("department_staff", department="ward-kawasaki")
    sign_in(client, other)
    client.post(f"/settings/api-tokens/{row.id}/revoke")
    db.session.refresh(row)
    assert row.revoked_at is None
    assert client.get("/settings/api-tokens/").get_data(as_text=True).count("庁内ワークフロー") == 0


def test_the_command_refuses_unknown_users_and_scopes(app, make_user):
    runner = app.test_cli_runner()
    user = make_user("window")
    assert runner.invoke(args=["tokens", "create", "--user", "nobody@example.jp"]).exit_code != 0
    assert runner.invoke(args=["tokens", "create", "--user", user.email, "--scope", "admin"]).exit_code != 0
    assert runner.invoke(args=["tokens", "create", "--user", user.email, "--days", "0"]).exit_code != 0
    made = runner.invoke(args=["tokens", "create", "--user", user.email, "--scope", "read,act", "--days", "3"])
    assert made.exit_code == 0 and made.stdout.startswith("kwt_")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_the_documentation_page_lists_the_operations(client):
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "POST /proposals/{proposal_id}/submit" in html
    assert "GET /catalogue" in html and "problem+json" in html


def test_pages_look_right(live_server, page, make_user):
    from core.auth import hash_password  # noqa: F401  (staff sign in with their password)

    staff = make_user("department_staff", department="ward-miyamae")
    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=email]", staff.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/settings/api-tokens/")
    page.fill("input[name=name]", "庁内ワークフロー連携")
    page.check("input[name=act]")
    page.click("form button.button-primary")
    assert page.locator("code.token-value").inner_text().startswith("kwt_")
    screenshot(page, "api-personal-tokens")
    page.goto(f"{live_server.url}/api/v1/docs")
    assert page.locator("h1").first.inner_text().startswith("協働・連携の窓口 API")
    screenshot(page, "api-docs")
