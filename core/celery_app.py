"""Celery wired as in Flask's own pattern: every task runs in an app context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

# Periodic jobs; one beat process runs them (docker-compose service `beat`).
BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "outbox.deliver", "schedule": 60.0},
}


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(app.config["CELERY"])
    celery.conf.beat_schedule = {**BEAT_SCHEDULE, **app.config.get("EXTRA_BEAT_SCHEDULE", {})}
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
