"""Finding 5 of issue 13: security headers on every page (CSP without inline
script, no framing, nosniff, Referrer-Policy; HSTS in production only), and
department file downloads are nosniff and never cached."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import other_app

from core.extensions import db

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _csp(response) -> dict[str, str]:
    return {part.split()[0]: part.partition(" ")[2]
            for part in (p.strip() for p in response.headers["Content-Security-Policy"].split(";")) if part}


@pytest.mark.parametrize("path", ["/", "/staff/login", "/signin", "/catalogue", "/stats", "/nowhere"])
def test_every_page_has_the_security_headers(client, path):
    response = client.get(path)
    csp = _csp(response)
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"  # no 'unsafe-inline'
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # development and tests: plain HTTP


def test_hsts_in_production_only(monkeypatch):
    with other_app(APP_ENV="production", SESSION_COOKIE_SECURE=True) as app:
        client = app.test_client()
        response = client.get("/", base_url="https://window.city.example.jp")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        proxied = client.get("/", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in proxied.headers


def test_no_template_has_inline_script_or_style():
    """The CSP forbids them; a page with one would silently lose its behaviour. An email's HTML part
    (templates/email/) is never served under the CSP and needs inline styles (mail clients drop
    style sheets), but it still carries no script or event handler."""
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text):
            offenders.append(f"{template.relative_to(TEMPLATES)}: {match.group(0)}")
        email = template.relative_to(TEMPLATES).parts[0] == "email"
        if re.search(r"[\s}]on[a-z]+=\"" if email else r"<style|[\s}]style=\"|[\s}]on[a-z]+=\"", text):
            offenders.append(f"{template.relative_to(TEMPLATES)}: inline style or handler")
    assert not offenders, offenders


def test_department_file_downloads_are_nosniff_and_not_stored(app, make_user, make_proposal):
    from conftest import department_id
    from intake_helpers import tiny_pdf

    from core.audit import Actor
    from intake import files as file_store
    from intake import operations as intake_ops
    from proposals import operations

    window = make_user("window")
    staff = make_user("department_staff", "ward-miyamae", password="pw-2026-department")
    member = make_user("applicant")
    proposal = make_proposal(applicant=member)
    checked = file_store.CheckedFile("計画書.pdf", "application/pdf", tiny_pdf())
    [attachment] = intake_ops.add_attachments(proposal, [checked], Actor.of_user(member), uploaded_by=member)
    operations.assign(proposal, department_id("ward-miyamae"), [], Actor.of_user(window))
    db.session.commit()
    client = app.test_client()
    client.post("/staff/login", data={"email": staff.email, "password": "pw-2026-department"})
    response = client.get(f"/inbox/proposals/{proposal.id}/files/{attachment.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    response.close()
