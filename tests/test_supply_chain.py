"""Supply chain: every package named in requirements*.txt is in
requirements.lock at the same version, and every locked package carries its
hashes (`make install` runs pip with --require-hashes). When this fails after
adding a dependency: run `make lock` and commit requirements.lock."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def named_requirements(path: Path) -> dict[str, str]:
    """name -> pinned version, following `-r other.txt`."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("-r "):
            pins.update(named_requirements(path.parent / line[3:].strip()))
            continue
        match = REQUIREMENT.match(line)
        if match:
            pins[canonical(match.group(1))] = match.group(3)
        elif line and not line.startswith("#"):
            raise AssertionError(f"{path.name}: pin every requirement with == ({line!r})")
    return pins


def locked_packages() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) from requirements.lock."""
    locked: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = REQUIREMENT.match(line)
        if match:
            current = canonical(match.group(1))
            locked[current] = (match.group(3), 0)
        if current and "--hash=sha256:" in line:
            version, hashes = locked[current]
            locked[current] = (version, hashes + line.count("--hash=sha256:"))
    return locked


def test_every_requirement_is_locked_at_its_pinned_version():
    wanted = named_requirements(ROOT / "requirements-dev.txt")
    wanted.update(named_requirements(ROOT / "requirements.txt"))
    locked = locked_packages()
    missing = sorted(name for name in wanted if name not in locked)
    assert not missing, f"not in requirements.lock (run `make lock`): {missing}"
    different = sorted(f"{name}: requirements say {version}, lock has {locked[name][0]}"
                       for name, version in wanted.items() if locked[name][0] != version)
    assert not different, f"run `make lock`: {different}"


def test_every_locked_package_has_hashes():
    locked = locked_packages()
    assert len(locked) > 40  # the whole tree, not only the direct requirements
    without = sorted(name for name, (_, hashes) in locked.items() if hashes == 0)
    assert not without, f"locked without --hash (pip --require-hashes refuses them): {without}"


def test_the_lock_names_nothing_but_pins():
    """`pip install --require-hashes` needs == pins only: no URLs, no ranges, no editable installs."""
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "--hash")):
            continue
        assert REQUIREMENT.match(stripped), f"requirements.lock: {stripped!r}"
