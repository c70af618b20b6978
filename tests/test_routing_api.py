"""Preview without saving: `flask routing preview FILE.jsonl` and
POST /api/v1/routing/preview with a staff token; backtest command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.models import ApiToken
from core.extensions import db
from core.models import Event
from proposals.models import Proposal
from routing.seed import seed_routing

PASSWORD = "correct horse battery"
LABELLED = Path(__file__).resolve().parent / "data" / "routing_labelled.jsonl"
SAMPLE = {"title": "宮前区の高齢者サロンとスマホ相談会", "summary": "高齢者の介護予防", "themes": ["welfare-elderly"],
          "area": {"scope": "ward", "wards": ["ward-miyamae"]}, "stage": "established"}


@pytest.fixture
def seeded():
    seed_routing()
    db.session.commit()


@pytest.fixture
def token(client, make_user, seeded):
    admin = make_user("admin")
    staff = make_user("window")
    client.post("/staff/login", data={"email": admin.email, "password": PASSWORD})
    page = client.post("/admin/api-tokens/", data={"name": "検証スクリプト", "user": staff.id}).get_data(as_text=True)
    start = page.index("kwt_")
    value = page[start:page.index("<", start)]
    client.post("/signout")
    return value


def test_token_is_shown_once_and_only_its_digest_is_stored(token):
    row = db.session.scalar(sa.select(ApiToken))
    assert row.token_hash != token and len(row.token_hash) == 64 and token.startswith(row.hint)
    assert db.session.scalar(sa.select(Event).where(Event.kind == "api_token_created")) is not None


def test_preview_endpoint_returns_the_decision_and_saves_nothing(client, token):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Event))
    response = client.post("/api/v1/routing/preview", json=SAMPLE, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["lead"] == "ward-miyamae" and body["co"] == ["kenko-fukushi"] and body["ruleset_version"] == 1
    assert {"needs_triage", "themes", "confidence", "rules"} <= set(body)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


def test_preview_endpoint_refuses_without_a_valid_token_and_bad_input(client, token):
    assert client.post("/api/v1/routing/preview", json=SAMPLE).status_code == 401
    assert client.post("/api/v1/routing/preview", json=SAMPLE,
                       headers={"Authorization": "Bearer kwt_wrong"}).status_code == 401
    headers = {"Authorization": f"Bearer {token}"}
    bad = client.post("/api/v1/routing/preview", data="not json", headers=headers, content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["status"] == 400
    assert client.post("/api/v1/routing/preview", json={"themes": 5}, headers=headers).status_code == 400
    assert client.post("/api/v1/routing/preview?ruleset=draft", json=SAMPLE, headers=headers).status_code == 404
    # "³" passes str.isdigit but is no version number: a 404 naming it, not a 500 (found by the contract fuzzer)
    assert client.post("/api/v1/routing/preview?ruleset=³", json=SAMPLE, headers=headers).status_code == 404
    row = db.session.scalar(sa.select(ApiToken))
    row.revoked_at = row.created_at
    db.session.commit()
    assert client.post("/api/v1/routing/preview", json=SAMPLE, headers=headers).status_code == 401


def test_preview_command_prints_one_decision_per_line(app, seeded, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["routing", "preview", str(LABELLED)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    expected = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(expected)
    assert lines[0]["lead"] == "ward-miyamae" and lines[0]["ruleset_version"] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(SAMPLE, ensure_ascii=False) + "\n{oops\n", encoding="utf-8")
    result = runner.invoke(args=["routing", "preview", str(broken), "--ruleset", "1"])
    assert result.exit_code == 1 and '"line": 2' in result.output
    assert runner.invoke(args=["routing", "preview", str(broken), "--ruleset", "draft"]).exit_code != 0


def test_seed_and_backtest_commands(app, make_proposal, make_user):
    runner = app.test_cli_runner()
    assert "rulesets=1" in runner.invoke(args=["routing", "seed"]).output
    assert "rulesets=0" in runner.invoke(args=["routing", "seed"]).output
    make_proposal()
    from core.audit import Actor
    from routing.ruleset_operations import create_draft

    create_draft(Actor.of_user(make_user("admin")))
    db.session.commit()
    result = runner.invoke(args=["routing", "backtest", "--last", "10"])
    assert result.exit_code == 0 and "0 of 1 proposals would change lead" in result.output


def test_openapi_document_describes_the_preview(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and "/routing/preview" in doc["paths"]


def test_revoking_a_token_is_an_audited_operation(client, token, make_user):
    """The administrator's revocation goes through api.operations.revoke_token:
    the token stops working, and one event names who revoked which token."""
    row = db.session.scalar(sa.select(ApiToken))
    admin = make_user("admin")
    client.post("/staff/login", data={"email": admin.email, "password": PASSWORD})
    assert client.post(f"/admin/api-tokens/{row.id}/revoke").status_code == 302
    assert client.post(f"/admin/api-tokens/{row.id}/revoke").status_code == 302  # twice: nothing more
    [event] = db.session.scalars(sa.select(Event).where(Event.kind == "api_token_revoked")).all()
    assert event.actor_user_id == admin.id and event.data == {"token_id": row.id}
    client.post("/signout")
    response = client.post("/api/v1/routing/preview", json=SAMPLE, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
