"""Celery tasks of the routing room."""

from __future__ import annotations

from celery import shared_task

from core.audit import Actor
from core.extensions import db


@shared_task(name="routing.train_model", ignore_result=True)
def train_model() -> int | None:
    """Nightly: a new model version from the window's decisions so far.
    Returns the version, or None when there are not enough examples yet."""
    from routing.learning import NotEnoughExamples, train_version

    try:
        row = train_version(Actor.system("routing nightly training"), note="nightly")
    except NotEnoughExamples:
        db.session.rollback()
        return None
    db.session.commit()
    return row.version
