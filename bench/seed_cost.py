"""What `flask seed` costs on a fresh SQLite file (the first step of `make run`).

    .venv/bin/python bench/seed_cost.py [--runs 1] [--tree PATH ...]

Each tree (default: this checkout) is timed in its own process: `flask db
upgrade` on a new file, then `flask seed`, whose CPU time (user + system, of
the process and its children) and wall time are printed, beside the figures
of the hand-written public demo (BASELINE, measured before the demo's history
went through the rooms' operations). Pass `--tree` a checkout of another
commit (`git worktree add /tmp/old <commit>`) to time both on the same
machine load: CPU time is steadier than wall time on a shared machine, but
both move with the load.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
# `flask seed` with the hand-written demo (main at 385b0c7, 2 shared cores under load ~10),
# CPU seconds (user + system) and wall seconds.
BASELINE = {"cpu": 14.9, "wall": 45.2}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_seed(tree: Path) -> dict[str, float]:
    flask = str(HERE / ".venv" / "bin" / "flask")
    with tempfile.TemporaryDirectory(prefix="seed-cost-") as scratch:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{scratch}/seed.sqlite3"}
        env.pop("REDIS_URL", None)
        subprocess.run([flask, "db", "upgrade"], cwd=tree, env=env, check=True, capture_output=True)
        cpu, wall = _children_cpu(), time.perf_counter()
        subprocess.run([flask, "seed"], cwd=tree, env=env, check=True, capture_output=True)
        return {"cpu": _children_cpu() - cpu, "wall": time.perf_counter() - wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--tree", action="append", type=Path, help="a checkout to time (repeatable)")
    args = parser.parse_args()
    trees = args.tree or [HERE]
    print(f"flask seed on a fresh SQLite file ({args.runs} run(s) each, best of them)")
    print(f"  {'baseline (hand-written demo)':40s} cpu {BASELINE['cpu']:6.1f} s   wall {BASELINE['wall']:6.1f} s")
    for tree in trees:
        runs = [time_seed(tree) for _ in range(args.runs)]
        best = min(runs, key=lambda r: r["cpu"])
        ratio = best["cpu"] / BASELINE["cpu"]
        print(f"  {str(tree):40s} cpu {best['cpu']:6.1f} s   wall {best['wall']:6.1f} s   "
              f"cpu x{ratio:.2f} of the baseline")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
