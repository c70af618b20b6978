"""Where the proposals' attachments are stored: a two-character folder per
random key under UPLOAD_DIR. Intake stores them (intake/files.py checks the
upload first); the department's page and the applicant's page send them."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from flask import current_app


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_for(storage_key: str) -> Path:
    if not storage_key.isalnum():
        raise ValueError("bad storage key")
    return upload_root() / storage_key[:2] / storage_key


def store(data: bytes) -> tuple[str, str]:
    """Write the bytes under a new random key; returns (key, sha256)."""
    key = secrets.token_hex(32)
    target = path_for(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".part")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)
    return key, hashlib.sha256(data).hexdigest()


def remove(storage_key: str) -> None:
    try:
        path_for(storage_key).unlink()
    except FileNotFoundError:
        pass
