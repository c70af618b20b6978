"""docker-compose.yml is checked by structure (no Docker engine runs here):
services present, commands point at modules that exist, environment
consistent with the configuration the app reads."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml

from core.config import load_config

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_all_services_are_there_with_health_checks():
    assert {"web", "worker", "beat", "db", "redis", "mail", "migrate"} <= set(SERVICES)
    for name in ("web", "worker", "beat", "db", "redis", "mail"):
        assert "healthcheck" in SERVICES[name], f"{name} has no health check"
        probe = SERVICES[name]["healthcheck"]["test"]
        if probe[:3] == ["CMD", "python", "-c"]:
            compile(probe[3], f"{name} health check", "exec")


def test_the_uploads_volume_is_writable_by_the_service_user():
    upload_dir = SERVICES["web"]["environment"]["UPLOAD_DIR"]
    assert f"uploads:{upload_dir}" in SERVICES["web"]["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.search(r"^USER (\S+)", dockerfile, re.M).group(1)
    # A new named volume takes the owner of the image's directory at that path.
    assert re.search(rf"mkdir -p [^&]*{re.escape(upload_dir)}", dockerfile)
    assert re.search(rf"chown -R {user} [^\n]*{re.escape(upload_dir)}", dockerfile)


def test_migrations_run_before_the_web_starts():
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "flask db upgrade" in " ".join(SERVICES["migrate"]["command"])


def test_commands_point_at_modules_that_exist():
    web = SERVICES["web"]["command"]
    factory = web[-1]
    module, _, call = factory.partition(":")
    assert call == "create_app()" and hasattr(importlib.import_module(module), "create_app")
    for name in ("worker", "beat"):
        command = SERVICES[name]["command"]
        assert command[:3] == ["celery", "-A", "worker"]
    worker = importlib.import_module("worker")
    assert "outbox.deliver" in worker.celery_app.tasks
    assert {entry["task"] for entry in worker.celery_app.conf.beat_schedule.values()} <= set(worker.celery_app.tasks)


def test_environment_names_are_the_ones_the_config_reads(tmp_path):
    environment = SERVICES["web"]["environment"]
    config_source = (ROOT / "core" / "config.py").read_text()
    for key in environment:
        assert re.search(rf'env\.get\("{key}"[,)]|env\["{key}"\]', config_source), f"{key} is not read by core/config.py"
    values = {k: str(v) for k, v in environment.items() if "${" not in str(v)}
    config = load_config(tmp_path, {**values, "SECRET_KEY": "x" * 40})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://window:window@db:5432/")
    assert config["CELERY"]["broker_url"] == "redis://redis:6379/0" and not config["CELERY"]["task_always_eager"]
    assert config["MAIL_SERVER"] == "mail"


def test_production_needs_a_secret_in_compose():
    assert SERVICES["web"]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert SERVICES["web"]["environment"]["APP_ENV"] == "production"


def test_dockerfile_serves_the_same_factory():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert '"window:create_app()"' in dockerfile and "requirements.txt" in dockerfile
