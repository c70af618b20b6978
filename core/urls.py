"""Paths built without a request (emails, tasks, the sweep)."""

from __future__ import annotations

from flask import current_app


def app_path(endpoint: str, **values) -> str:
    """A path for emails, built with or without a request."""
    return current_app.url_map.bind("localhost").build(endpoint, values)
