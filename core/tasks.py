"""Celery tasks of the core. Arguments are ids, never objects; every task
is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from core import outbox  # the module, not the function: core.outbox imports this module to send the task


@shared_task(name="outbox.deliver", ignore_result=True)
def deliver_outbox() -> int:
    return outbox.deliver_pending()
