"""The README's `flask …` commands work as written in a fresh clone: run
from the project root, in a subprocess, with no FLASK_APP in the
environment (.flaskenv names the app), against a scratch SQLite file."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme_flask_commands() -> list[str]:
    """Every `.venv/bin/flask …` command of the README's shell blocks, in order
    (`make migrate && .venv/bin/flask seed --no-demo` counts its flask part)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S):
        for line in block.splitlines():
            for part in line.split("#", 1)[0].split("&&"):
                if part.strip().startswith(".venv/bin/flask "):
                    commands.append(part.strip())
    return commands


def _run(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(shlex.split(command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_readmes_flask_commands_run_as_written(tmp_path):
    commands = _readme_flask_commands()
    assert ".venv/bin/flask seed --no-demo" in commands
    assert any(c.startswith(".venv/bin/flask routing preview ") for c in commands)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_") and k != "REDIS_URL"}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}", UPLOAD_DIR=str(tmp_path / "uploads"))
    # The schema first (make migrate), so the order of the README's blocks does not matter.
    upgraded = _run(".venv/bin/flask db upgrade", env)
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    outputs = {}
    for command in commands:
        done = _run(command, env)
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
        outputs[command] = done.stdout
    assert "departments=" in outputs[".venv/bin/flask seed --no-demo"]
    preview = next(out for c, out in outputs.items() if c.startswith(".venv/bin/flask routing preview "))
    decisions = [json.loads(line) for line in preview.splitlines() if line.strip()]
    assert decisions and all("lead" in d or "lead_rule" in d for d in decisions)
