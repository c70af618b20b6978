"""Celery tasks of the core. Arguments are ids, never objects; every task
is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from core.outbox import deliver_pending


@shared_task(name="outbox.deliver", ignore_result=True)
def deliver_outbox() -> int:
    return deliver_pending()
