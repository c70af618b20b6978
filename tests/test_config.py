"""Configuration comes from the environment with embedded defaults."""

from __future__ import annotations

import pytest

from core.config import ConfigError, load_config


def test_embedded_default_is_sqlite_under_instance_without_redis(tmp_path):
    config = load_config(tmp_path, {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'window.sqlite3'}"
    assert config["CELERY"]["task_always_eager"] is True
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_development_secret_is_generated_once_and_kept(tmp_path):
    first = load_config(tmp_path, {})["SECRET_KEY"]
    assert len(first) >= 32 and load_config(tmp_path, {})["SECRET_KEY"] == first


def test_production_refuses_to_start_without_a_secret(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(tmp_path, {"APP_ENV": "production"})


def test_postgres_and_redis_from_the_environment(tmp_path):
    config = load_config(tmp_path, {"DATABASE_URL": "postgres://u@db/window", "REDIS_URL": "redis://r:6379/0"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/window"
    assert config["CELERY"]["broker_url"] == "redis://r:6379/0"
    assert config["CELERY"]["task_always_eager"] is False
    assert config["RATELIMIT_STORAGE_URI"] == "redis://r:6379/0"


def test_port_sets_the_default_base_url(tmp_path):
    assert load_config(tmp_path, {"PORT": "8123"})["BASE_URL"] == "http://127.0.0.1:8123"
