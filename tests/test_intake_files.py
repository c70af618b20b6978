"""Files: up to MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES each, checked by
content (magic bytes) against the name's extension, no web pages or SVG, stored outside the web root under a random key,
downloadable only by the organisation's members and staff who may see the
proposal. Too large or the wrong kind: a friendly error on the same page."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import department_id
from intake_helpers import TINY_PNG, VALID_STEPS, sign_in, tiny_pdf

from core.extensions import db
from intake import files as file_store
from proposals.models import Assignment, AssignmentRole, Attachment, Proposal


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "x")
    return buffer.getvalue()


@pytest.fixture
def applicant(make_user):
    return make_user("applicant")


@pytest.fixture
def draft(client, applicant):
    sign_in(client, applicant)
    response = client.post("/proposals/new", data={"organisation": "new"})
    draft_id = int(response.headers["Location"].split("/")[2])
    client.post(f"/proposals/{draft_id}/step/1", data=VALID_STEPS[1])
    return draft_id


def upload(client, draft, *files, action="upload"):
    data = {"action": action, "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/proposals/{draft}/step/6", data=data, content_type="multipart/form-data")


def attachments(draft) -> list[Attachment]:
    return db.session.scalars(sa.select(Attachment).where(Attachment.proposal_id == draft).order_by(Attachment.id)).all()


@pytest.mark.parametrize("name, content, expected", [
    ("計画書.pdf", tiny_pdf(), "application/pdf"),
    ("photo.png", TINY_PNG, "image/png"),
    ("plan.docx", _docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("メモ.txt", "参加者の名簿です。\n".encode(), "text/plain"),
    ("sjis.txt", "シフトJISのメモ".encode("cp932"), "text/plain"),
    ("名簿.csv", "氏名,区\n川崎 一郎,宮前区\n".encode(), "text/plain"),
    ("写真.JPEG", bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9"), "image/jpeg"),
])
def test_allowed_kinds_are_recognised_by_content(client, draft, name, content, expected, app):
    response = upload(client, draft, (name, content))
    assert response.status_code == 302
    [stored] = attachments(draft)
    assert (stored.filename, stored.content_type, stored.size_bytes) == (name, expected, len(content))
    path = file_store.path_for(stored.storage_key)
    assert path.read_bytes() == content
    # Outside the web root, under a random name that says nothing about the file.
    assert Path(app.config["UPLOAD_DIR"]) in path.parents
    assert Path(app.static_folder) not in path.parents
    assert len(stored.storage_key) == 64 and name not in str(path)


@pytest.mark.parametrize("name, content", [
    ("virus.pdf", b"MZ\x90\x00" + b"\x00" * 300),
    ("archive.docx", _zip()),
    ("binary.txt", bytes(range(256)) * 4),
    ("control.txt", b"text with \x1b[31m escape"),
    ("empty.pdf", b""),
    ("song.mp3", b"ID3" + b"\x00" * 300),
])
def test_other_kinds_are_refused_with_a_friendly_message(client, draft, name, content):
    response = upload(client, draft, (name, content))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert name in html and ("受け付けられない種類" in html or "空のファイル" in html)
    assert 'class="error-summary"' in html
    assert attachments(draft) == []


@pytest.mark.parametrize("name, content", [
    ("招待状.pdf", b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("メモ.txt", b"\xef\xbb\xbf  <html><script>alert(1)</script>"),
    ("page.html", "ただのテキストです。".encode()),  # the name alone says web page
])
def test_web_pages_and_svg_are_refused_whatever_their_name(client, draft, name, content):
    """Issue 13, finding 8: an HTML file named .pdf and an SVG with <script>
    were stored as text under their own names."""
    response = upload(client, draft, (name, content))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"添付ファイル「{name}」はHTMLやSVGなどウェブページの形式のため受け付けられません" in html
    assert attachments(draft) == []


@pytest.mark.parametrize("name, content, claimed, actual", [
    ("名前だけtxt.pdf", "中身はテキスト".encode(), ".pdf", "text"),
    ("renamed.txt", tiny_pdf(), ".txt", "PDF"),
    ("写真.png", bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9"), ".png", "JPEG"),
    ("拡張子なし", tiny_pdf(), "なし", "PDF"),
])
def test_a_name_that_disagrees_with_the_content_is_refused(client, draft, name, content, claimed, actual):
    response = upload(client, draft, (name, content))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"添付ファイル「{name}」は、名前の拡張子（{claimed}）と中身（{actual}）が合いません" in html
    assert attachments(draft) == []


def test_a_file_over_the_size_limit_is_refused_on_the_same_page(client, draft, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 2048)
    response = upload(client, draft, ("big.pdf", tiny_pdf() + b"%" * 4096))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "大きすぎます" in html and "big.pdf" in html
    assert "添付ファイル" in html  # the same page, with the form
    assert attachments(draft) == []


def test_a_request_over_max_content_length_is_never_a_bare_413(client, draft, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    response = upload(client, draft, ("huge.pdf", tiny_pdf() + b"%" * 20_000))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/proposals/{draft}/step/6")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ファイルが大きすぎるため、送信できませんでした" in page
    assert attachments(draft) == []


def test_max_content_length_fits_every_allowed_file_at_once(app):
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["MAX_ATTACHMENTS"] * app.config["MAX_ATTACHMENT_BYTES"]


def test_at_most_five_files(client, draft, app):
    assert app.config["MAX_ATTACHMENTS"] == 5
    assert upload(client, draft, *[(f"{i}.pdf", tiny_pdf(str(i))) for i in range(4)]).status_code == 302
    response = upload(client, draft, ("5.pdf", tiny_pdf("5")), ("6.pdf", tiny_pdf("6")))
    assert response.status_code == 400 and "5個まで" in response.get_data(as_text=True)
    assert len(attachments(draft)) == 4
    assert upload(client, draft, ("5.pdf", tiny_pdf("5"))).status_code == 302
    assert len(attachments(draft)) == 5


def test_a_draft_file_can_be_removed(client, draft):
    upload(client, draft, ("a.pdf", tiny_pdf()))
    [stored] = attachments(draft)
    path = file_store.path_for(stored.storage_key)
    response = client.post(f"/proposals/{draft}/files/{stored.id}/delete")
    assert response.status_code == 302
    assert attachments(draft) == [] and not path.exists()


def test_choosing_a_file_and_pressing_continue_uploads_it(client, draft):
    response = upload(client, draft, ("a.pdf", tiny_pdf()), action="next")
    assert response.headers["Location"].endswith(f"/proposals/{draft}/review")
    assert len(attachments(draft)) == 1


# --- who may download -------------------------------------------------------------------------------


@pytest.fixture
def submitted_with_file(app, make_user, make_proposal):
    from core.audit import Actor
    from intake import operations as ops

    member = make_user("applicant")
    proposal = make_proposal(applicant=member)
    checked = file_store.CheckedFile("資料.pdf", "application/pdf", tiny_pdf())
    [attachment] = ops.add_attachments(proposal, [checked], Actor.of_user(member), uploaded_by=member)
    db.session.commit()
    return proposal, attachment, member


def _download(app, user, attachment):
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    response = client.get(f"/attachments/{attachment.id}")
    response.get_data()
    response.close()  # send_file keeps the file open until the response is closed
    return response


def test_members_of_the_organisation_may_download(app, submitted_with_file, make_user):
    from core.models import Membership

    proposal, attachment, member = submitted_with_file
    colleague = make_user("applicant")
    db.session.add(Membership(user=colleague, organisation_id=proposal.organisation_id))
    db.session.commit()
    for user in (member, colleague):
        response = _download(app, user, attachment)
        assert response.status_code == 200 and response.data == tiny_pdf()
        assert response.headers["Content-Type"] == "application/pdf"
        assert "attachment" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_another_organisations_member_is_refused(app, submitted_with_file, make_user, make_organisation):
    _, attachment, _ = submitted_with_file
    outsider = make_user("applicant")
    make_organisation(name="別の団体", members=[outsider])
    assert _download(app, outsider, attachment).status_code == 404


def test_a_department_without_assignment_is_refused_and_with_one_may_download(app, submitted_with_file, make_user):
    proposal, attachment, _ = submitted_with_file
    staff = make_user("department_staff", "ward-tama")
    assert _download(app, staff, attachment).status_code == 404
    db.session.add(Assignment(proposal_id=proposal.id, department_id=department_id("ward-tama"),
                              role=AssignmentRole.CO))
    db.session.commit()
    assert _download(app, staff, attachment).status_code == 200


def test_the_window_may_download_and_strangers_are_sent_to_sign_in(app, submitted_with_file, make_user):
    _, attachment, _ = submitted_with_file
    assert _download(app, make_user("window"), attachment).status_code == 200
    response = _download(app, None, attachment)
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_staff_never_see_draft_files(app, client, draft, make_user):
    upload(client, draft, ("a.pdf", tiny_pdf()))
    [stored] = attachments(draft)
    assert _download(app, make_user("window"), stored).status_code == 404
    assert db.session.get(Proposal, draft).state == "draft"
