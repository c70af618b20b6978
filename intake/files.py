"""Attachments: checked by content (magic bytes), which must agree with the
file's extension; web pages and SVG are refused. Stored outside the web
root (config UPLOAD_DIR) under a random key, served only after a
permission check, as downloads (attachment, nosniff)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

# Storage moved down to proposals (the department's page sends the files too); the names stay here.
from proposals.attachments import path_for as path_for
from proposals.attachments import remove as remove
from proposals.attachments import store as store
from proposals.attachments import upload_root as upload_root

ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "application/msword": "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.ms-powerpoint": "PowerPoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    "image/heic": "HEIC",
    "text/plain": "text",
}
# The file name must agree with the content (a web page named .pdf is not a
# PDF): the extensions each allowed type may carry, the usual one first.
EXTENSIONS = {
    "application/pdf": ("pdf",),
    "application/msword": ("doc",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.ms-excel": ("xls",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
    "application/vnd.ms-powerpoint": ("ppt",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx",),
    "image/jpeg": ("jpg", "jpeg", "jpe"),
    "image/png": ("png",),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "image/heic": ("heic", "heif"),
    "text/plain": ("txt", "csv", "tsv", "md"),
}
# Web pages and SVG images can carry script: never accepted, whatever their name.
MARKUP_EXTENSIONS = {"html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "xsl", "js", "mjs"}
_MARKUP_SIGNS = ("<html", "<svg", "<script", "<!doctype", "<body", "<iframe", "<?xml", "<head", "<object", "<embed")
# Legacy Office files are OLE containers; filetype names them by their first stream.
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_TEXT_ENCODINGS = ("utf-8-sig", "cp932", "euc_jp")
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f"}


class FileRejected(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def looks_like_text(data: bytes) -> bool:
    """Plain text in a Japanese or Unicode encoding, without control bytes."""
    if b"\x00" in data:
        return False
    for encoding in _TEXT_ENCODINGS:
        try:
            decoded = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(ch in _CONTROL for ch in decoded)
    return False


def looks_like_markup(data: bytes) -> bool:
    """HTML, SVG or XML: a browser that sniffs would run what is inside.
    Browsers sniff the first 512 bytes; twice that is checked."""
    head = data[:1024]
    for encoding in _TEXT_ENCODINGS:
        try:
            text = head.decode(encoding, errors="ignore").lower()
        except LookupError:  # pragma: no cover
            continue
        if any(sign in text for sign in _MARKUP_SIGNS):
            return True
    return False


def extension_of(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


def detect_type(data: bytes) -> str | None:
    """The content type from the bytes themselves, or None when not allowed."""
    kind = filetype.guess(data)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    if data.startswith(_OLE_MAGIC):
        return None  # an OLE file filetype could not name: refuse rather than guess
    if data and looks_like_text(data):
        return "text/plain"
    return None


def clean_filename(name: str | None) -> str:
    """Keep the person's file name (Japanese included) but nothing path-like."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch not in _CONTROL and ch not in '<>:"|?*').strip(" .")
    return (name or "file")[:200]


def check_upload(upload: FileStorage) -> CheckedFile:
    """Read one upload and check its size and content, with a friendly refusal."""
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    data = upload.stream.read(limit + 1)
    filename = clean_filename(upload.filename)
    if len(data) > limit:
        raise FileRejected(_l("「%(name)s」は大きすぎます。1つのファイルは%(mb)sMBまでです。ファイルを小さくするか、分けて送ってください。",
                              name=filename, mb=limit // (1024 * 1024)))
    if not data:
        raise FileRejected(_l("「%(name)s」は空のファイルです。内容を確認してください。", name=filename))
    extension = extension_of(filename)
    content_type = detect_type(data)
    if extension in MARKUP_EXTENSIONS or (content_type == "text/plain" and looks_like_markup(data)):
        raise FileRejected(_l("添付ファイル「%(name)s」はHTMLやSVGなどウェブページの形式のため受け付けられません。文書はPDFに、画像はPNGかJPEGに保存し直してから選んでください。",
                              name=filename))
    if content_type is None:
        raise FileRejected(_l("「%(name)s」は受け付けられない種類のファイルです。PDF、Word、Excel、PowerPoint、画像（JPEG・PNGなど）、テキストのいずれかにしてください。",
                              name=filename))
    if extension not in EXTENSIONS[content_type]:
        raise FileRejected(_l("添付ファイル「%(name)s」は、名前の拡張子（%(extension)s）と中身（%(kind)s）が合いません。中身に合った名前（例: .%(expected)s）のファイルを選び直してください。",
                              name=filename, extension="." + extension if extension else _l("なし"),
                              kind=ALLOWED_TYPES[content_type], expected=EXTENSIONS[content_type][0]))
    return CheckedFile(filename=filename, content_type=content_type, data=data)

