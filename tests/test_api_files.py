"""Files by API: attached to a draft, or to one of the applicant's own
messages after submission, with the page's checks (type, size, count)."""

from __future__ import annotations

import io

import sqlalchemy as sa
from api_helpers import Api, token_for
from intake_helpers import tiny_pdf

from core.extensions import db
from proposals.models import Attachment


def _upload(api: Api, path: str, data: bytes, name: str, headers: dict | None = None):
    return api.client.post(path, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data",
                           headers=api.headers(headers))


def test_files_on_a_draft_and_on_a_message(client, make_user, make_proposal):
    api = Api(client, token_for(make_user("applicant")))
    created = api.post("/api/v1/proposals", json={})
    draft_id, etag = created.get_json()["id"], created.headers["ETag"]
    assert _upload(api, f"/api/v1/proposals/{draft_id}/attachments", tiny_pdf(), "plan.pdf").status_code == 428
    added = _upload(api, f"/api/v1/proposals/{draft_id}/attachments", tiny_pdf(), "plan.pdf", {"If-Match": etag})
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["content_type"] == "application/pdf" and added.get_json()["filename"] == "plan.pdf"
    refused = _upload(api, f"/api/v1/proposals/{draft_id}/attachments", b"MZ\x90\x00binary", "tool.exe",
                      {"If-Match": api.get(f"/api/v1/proposals/{draft_id}").headers["ETag"]})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "file"
    assert "tool.exe" in refused.get_json()["errors"][0]["message"]

    proposal = make_proposal("triage")
    owner = Api(client, token_for(proposal.created_by))
    message = owner.post(f"/api/v1/proposals/{proposal.id}/messages", json={"body": "資料を送ります"}).get_json()
    attached = _upload(owner, f"/api/v1/proposals/{proposal.id}/messages/{message['id']}/attachments",
                       tiny_pdf(), "budget.pdf")
    assert attached.status_code == 201
    row = db.session.get(Attachment, attached.get_json()["id"])
    assert row.message_id == message["id"] and row.proposal_id == proposal.id
    # Someone else's message, or another proposal's: not found.
    assert _upload(api, f"/api/v1/proposals/{proposal.id}/messages/{message['id']}/attachments",
                   tiny_pdf(), "x.pdf").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 2
