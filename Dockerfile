FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=window:create_app
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN for room in core proposals intake routing responses public api window; do \
      if [ -f $room/translations/en/LC_MESSAGES/messages.po ]; then pybabel compile -d $room/translations -l en; fi; \
    done
# Bytecode in the image (PYTHONDONTWRITEBYTECODE: Python writes none at run time), so that a worker or a cron
# `flask deadlines sweep` does not compile the project's ~160 modules again: ~0.1 s of each start-up (issue 16).
RUN python -m compileall -q core text proposals search intake routing responses public groups api demo window worker.py
# Uploads live outside the web root, in a volume: the directory is created here owned by
# the service user, so a new named volume starts with that owner and uploads can be written.
RUN useradd --create-home window && mkdir -p /app/instance /data/uploads && chown -R window /app/instance /data/uploads
USER window
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "window:create_app()"]
