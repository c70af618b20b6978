"""The Celery application: `celery -A worker worker` and `celery -A worker beat`.

With REDIS_URL set, Redis is the broker; without it, tasks run in-process
(the embedded default), so this module is only needed in production.
"""

from window import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
app = celery_app  # `celery -A worker` finds `app` or `celery_app`
