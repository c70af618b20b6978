"""Celery task of the responses room: the deadline sweep (safe to run twice,
even concurrently: each rung of the ladder has a unique key)."""

from __future__ import annotations

from celery import shared_task

from core.extensions import db


@shared_task(name="deadlines.sweep", ignore_result=True)
def sweep_deadlines() -> int:
    from responses.deadlines import sweep

    result = sweep(commit_each_batch=True)  # short transactions: one batch of rungs each
    db.session.commit()
    return result.total + result.waits_total
