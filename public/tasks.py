"""Celery task of the public room: the statistics' summary table, recounted
every five minutes by the beat (public.statistics.refresh_snapshots)."""

from __future__ import annotations

from celery import shared_task

from public.statistics import refresh_snapshots


@shared_task(name="public.refresh_stats", ignore_result=True)
def refresh_stats() -> int:
    return refresh_snapshots()
