"""`make bench`: the whole performance picture at a city's scale, every
figure beside a baseline measured in the same run.

    BENCH_SCALE=10000 make bench        # quick (about 3 minutes)
    make bench                          # 100,000 proposals (the targets are set there)

Environment: BENCH_SCALE (default 100000), BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/window_bench; the database is wiped),
BENCH_PORT (default 5111; the baseline app uses BENCH_PORT + 1),
BENCH_SECONDS (length of each throughput run, default 15), BENCH_ONLY (a
comma-separated subset of: sweep, startup, pages, submit, rss, scaling,
routing; the data set is rebuilt unless BENCH_REUSE=1).

Writes bench/results.json (this run), bench/results-<scale>.json (kept per
scale, for the chart) and bench/RESULTS.md (the figures, their baselines,
ratios and targets, and how the sweep and the triage page grow with scale).
The data set is described in bench/generate.py.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import http_load, report  # noqa: E402
from bench.apps import BARE_TABLE, _create_app  # noqa: E402

SCALE = int(os.environ.get("BENCH_SCALE") or 100_000)
URL = os.environ.get("BENCH_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/window_bench"
PORT = int(os.environ.get("BENCH_PORT") or 5111)
SECONDS = float(os.environ.get("BENCH_SECONDS") or 15)
ONLY = set(filter(None, (os.environ.get("BENCH_ONLY") or "").split(",")))
VENV_BIN = Path(sys.executable).parent
PAGE_RUNS = 40

results: dict = {}
notes: list[str] = []


def wanted(part: str) -> bool:
    return not ONLY or part in ONLY


def say(text: str) -> None:
    print(text, flush=True)


def sa_url() -> str:
    return URL.replace("postgresql://", "postgresql+psycopg://", 1)


def _flask_app() -> str:
    return "window:create_app" if (ROOT / "window" / "__init__.py").exists() else "core:create_app"


def environment(**extra) -> dict:
    env = dict(os.environ, DATABASE_URL=URL, OUTBOX_DISPATCH="manual", RATELIMIT_ENABLED="false",
               FLASK_APP=os.environ.get("FLASK_APP", _flask_app()), BASE_URL="http://bench.invalid")
    env.pop("REDIS_URL", None)  # Celery eager, no broker: the bench measures the web and the database
    env.update(extra)
    return env


# --- the data set ---------------------------------------------------------------------------------------

def build(app) -> dict:
    from flask_migrate import upgrade

    from bench.generate import generate
    from core.calendar import local_today
    from core.extensions import db
    from core.seed import seed_reference
    from routing.seed import seed_routing

    engine = sa.create_engine(sa_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    with app.app_context():
        upgrade()
        seed_reference()  # departments, themes, the calendar
        seed_routing()  # the dictionary and default ruleset the form's submissions are routed by
        db.session.commit()
        began = time.perf_counter()
        built = generate(SCALE, local_today())
        db.session.execute(sa.text(f"CREATE TABLE {BARE_TABLE} (id serial PRIMARY KEY, note text)"))
        db.session.commit()
        elapsed = time.perf_counter() - began
    analyse()
    built["generate_s"] = round(elapsed, 1)
    return built


def ensure_database() -> None:
    """Create the bench's database on a machine that has none yet (a fresh one)."""
    url = sa.engine.make_url(sa_url())
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                            {"name": url.database}).scalar():
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()


def analyse() -> None:
    engine = sa.create_engine(sa_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


# --- the deadline sweep -----------------------------------------------------------------------------------

def _rung_thresholds(cal, today: date) -> dict:
    """The same ladder as the product (responses.deadlines), restated as
    date bounds: a rung is due when a due date (or a wait's start) lies on
    the right side of one of these days. Independent of the product's code:
    it is the baseline and a check of the count."""
    def last(day: date, test) -> date:
        while not test(day):
            day -= timedelta(days=1)
        return day

    def subtract(end: date, count: int) -> date:
        day, remaining = end, count
        while remaining > 0:
            if cal.is_business_day(day):
                remaining -= 1
            day -= timedelta(days=1)
        return day

    horizon = today
    while subtract(horizon + timedelta(days=1), 2) <= today:
        horizon += timedelta(days=1)
    return {
        "reminder_to": horizon,  # today <= due <= horizon (and not yet overdue)
        "overdue_before": today,  # due < today
        "second_to": last(today, lambda d: cal.add_business_days(d, 5) < today),
        "triage_overdue_to": last(today, lambda d: cal.add_business_days(d, 2) < today),
        "triage_second_to": last(today, lambda d: cal.add_business_days(cal.add_business_days(d, 2), 5) < today),
        "applicant_reminder_to": last(today, lambda d: cal.add_business_days(d, 10) < today),
        "applicant_overdue_to": last(today, lambda d: cal.add_business_days(cal.add_business_days(d, 10), 5) < today),
    }


def rungs_due_by_sql(today: date) -> int:
    """Baseline: the rungs due today, decided by a handful of set-based SQL
    statements (counted, not inserted)."""
    from core.calendar import BusinessCalendar
    from core.extensions import db

    t = _rung_thresholds(BusinessCalendar.from_database(), today)
    base = """FROM assignments a JOIN proposals p ON p.id = a.proposal_id
              WHERE a.status = 'active' AND a.paused_since IS NULL AND p.state IN ('assigned', 'in_consultation')"""
    total = 0
    for met, due in (("acknowledged_at", "ack_due_on"), ("answered_at", "answer_due_on")):
        total += db.session.execute(sa.text(f"""
            SELECT count(*) FILTER (WHERE a.{due} BETWEEN :today AND :reminder_to)
                 + count(*) FILTER (WHERE a.{due} < :today)
                 + count(*) FILTER (WHERE a.{due} <= :second_to)
            {base} AND a.{met} IS NULL AND a.{due} IS NOT NULL"""),
            {"today": today, "reminder_to": t["reminder_to"], "second_to": t["second_to"]}).scalar()
    total += db.session.execute(sa.text("""
        SELECT count(*) FILTER (WHERE w.kind = 'triage' AND started <= :triage_overdue_to)
             + count(*) FILTER (WHERE w.kind = 'triage' AND started <= :triage_second_to)
             + count(*) FILTER (WHERE w.kind = 'applicant' AND started <= :applicant_reminder_to)
             + count(*) FILTER (WHERE w.kind = 'applicant' AND started <= :applicant_overdue_to)
        FROM (SELECT w.kind, CAST(timezone('Asia/Tokyo', w.started_at) AS date) AS started
              FROM proposal_waits w JOIN proposals p ON p.id = w.proposal_id
              WHERE w.ended_at IS NULL AND (
                    (w.kind = 'triage' AND p.state IN ('submitted', 'triage'))
                 OR (w.kind = 'applicant' AND p.state = 'info_requested'))) w"""), t).scalar()
    return int(total)


def bench_sweep(app) -> None:
    from core.extensions import db

    sweep_module = _sweep_module()
    with app.app_context():
        now = datetime.now(UTC)
        today = (now + timedelta(hours=9)).date()
        began = time.perf_counter()
        due = rungs_due_by_sql(today)
        baseline = time.perf_counter() - began
        say(f"   rungs due by set-based SQL: {due:,} in {baseline:.2f} s")
        began = time.perf_counter()
        result = sweep_module.sweep(now)
        db.session.commit()
        first = time.perf_counter() - began
        rungs = result.total + result.waits_total
        say(f"   first sweep: {first:.2f} s, {rungs:,} rungs, {result.emails:,} emails")
        began = time.perf_counter()
        again = sweep_module.sweep(now)
        db.session.commit()
        second_in_process = time.perf_counter() - began
        db.session.remove()
    results.update(sweep_first_s=round(first, 2), sweep_rungs=rungs, sweep_emails=result.emails,
                   sweep_rungs_due_sql=due, sweep_baseline_sql_s=round(baseline, 2),
                   sweep_first_ratio=round(first / baseline, 1), sweep_ms_per_rung=round(first / max(rungs, 1) * 1000, 3),
                   sweep_second_in_process_s=round(second_in_process, 3),
                   sweep_second_fired=again.total + again.waits_total)
    if due != rungs:
        notes.append(f"the sweep fired {rungs} rungs, the SQL baseline counts {due} due")
    # The second sweep as cron runs it: a `flask` command (start-up included), beside a no-op command.
    noop = _command_times(["deadlines", "--help"])
    second = _command_times(["deadlines", "sweep"])
    results.update(sweep_second_s=round(statistics.median(second), 2),
                   flask_noop_s=round(statistics.median(noop), 2),
                   sweep_second_beyond_startup_s=round(statistics.median(second) - statistics.median(noop), 2))


def _sweep_module():
    for name in ("responses.sweep", "responses.deadlines.sweep", "responses.deadlines"):
        try:
            module = __import__(name, fromlist=["sweep"])
        except ImportError:
            continue
        if hasattr(module, "sweep"):
            return module
    raise ImportError("no sweep()")


def _command_times(args: list[str], runs: int = 3) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([str(VENV_BIN / "flask"), *args], env=environment(), cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return times


def bench_startup() -> None:
    flask = _command_times(["deadlines", "--help"], runs=5)
    bare = []
    for _ in range(5):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import flask, sqlalchemy"], check=True)
        bare.append(time.perf_counter() - began)
    results.update(startup_s=round(statistics.median(flask), 2),
                   startup_baseline_import_flask_sqlalchemy_s=round(statistics.median(bare), 2),
                   startup_ratio=round(statistics.median(flask) / statistics.median(bare), 1))


# --- servers ---------------------------------------------------------------------------------------------

@contextmanager
def gunicorn(target: str, port: int, workers: int = 2, **env):
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "300",
         "--log-level", "warning", target],
        env=environment(**env), cwd=ROOT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                http_load.Client(port).get("/_bench/ready")
                break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    raise RuntimeError(f"gunicorn {target} did not start") from None
                time.sleep(0.3)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- pages -------------------------------------------------------------------------------------------------

def _people(app) -> dict:
    from core.extensions import db
    from core.models import Department, Membership, Role, User
    from proposals.models import Assignment

    with app.app_context():
        window = db.session.scalar(sa.select(User.id).where(User.role == Role.WINDOW).order_by(User.id))
        busiest = db.session.scalar(
            sa.select(Assignment.department_id).where(Assignment.status == "active")
            .group_by(Assignment.department_id).order_by(sa.func.count().desc()).limit(1))
        staff = db.session.scalar(sa.select(User.id).where(User.department_id == busiest,
                                                           User.role == Role.DEPARTMENT_STAFF).order_by(User.id))
        applicants = db.session.execute(
            sa.select(Membership.user_id, Membership.organisation_id).order_by(Membership.user_id).limit(16)).all()
        code = db.session.scalar(sa.select(Department.code).where(Department.id == busiest))
        db.session.remove()
    return {"window": window, "staff": staff, "department": code, "applicants": [tuple(a) for a in applicants]}


PAGES = [  # (results key, path, who)
    ("triage", "/triage/", "window"),
    ("inbox", "/inbox", "staff"),
    ("dashboard", "/window/dashboard", "window"),
    ("catalogue", "/catalogue", None),
    ("partners", "/partners", None),
    ("stats_cold", "/stats", None),
]


def sql_per_request(app, people: dict) -> dict:
    """Each page's SQL alone: the statements it runs, timed at the cursor, in
    this process (the same database)."""
    from sqlalchemy import event

    from core.extensions import db

    figures = {}
    with app.app_context():
        engine = db.engine
        spent = {"ms": 0.0, "n": 0}

        def before(conn, *_):
            conn.info["bench_began"] = time.perf_counter()

        def after(conn, *_):
            spent["ms"] += (time.perf_counter() - conn.info.pop("bench_began")) * 1000
            spent["n"] += 1

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            for key, path, who in PAGES:
                client = app.test_client()
                if who:
                    client.get(f"/_bench/signin/{people[who]}")
                samples, counts = [], []
                for run in range(12):
                    spent.update(ms=0.0, n=0)
                    response = client.get(path)
                    assert response.status_code == 200, (path, response.status_code)
                    if run >= 2:
                        samples.append(spent["ms"])
                        counts.append(spent["n"])
                figures[key] = {"sql_p95_ms": http_load.p95(samples), "statements": max(counts)}
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
    return figures


def bench_pages(app, people: dict) -> None:
    sql = sql_per_request(product_app_for_sql(), people)
    with gunicorn("bench.apps:bare()", PORT + 1, workers=2):
        hello = http_load.timed_gets(http_load.Client(PORT + 1), "/hello", PAGE_RUNS)
    results["hello_p95_ms"] = round(http_load.p95(hello), 1)
    with gunicorn("bench.apps:product()", PORT, workers=2, BENCH_STATS_COLD="1"):
        for key, path, who in PAGES:
            client = http_load.Client(PORT)
            if who:
                client.get(f"/_bench/signin/{people[who]}")
            samples = http_load.timed_gets(client, path, PAGE_RUNS)
            page = http_load.p95(samples)
            results[f"{key}_p95_ms"] = round(page, 1)
            results[f"{key}_sql_p95_ms"] = round(sql[key]["sql_p95_ms"], 1)
            results[f"{key}_statements"] = sql[key]["statements"]
            results[f"{key}_sql_ratio"] = round(page / max(sql[key]["sql_p95_ms"], 0.1), 1)
            say(f"   {path:20s} p95 {page:7.1f} ms   its SQL {sql[key]['sql_p95_ms']:7.1f} ms "
                f"({sql[key]['statements']} statements)   /hello {results['hello_p95_ms']} ms")


_sql_app = None


def product_app_for_sql():
    global _sql_app
    if _sql_app is None:
        os.environ["BENCH_STATS_COLD"] = "1"
        os.environ["DATABASE_URL"] = URL
        from bench.apps import product

        _sql_app = product()
    return _sql_app


# --- submissions, memory, scaling -------------------------------------------------------------------------

def bench_submit(people: dict) -> None:
    from bench.submit_flow import Submit

    with gunicorn("bench.apps:bare()", PORT + 1, workers=2):
        bare = http_load.throughput(http_load.Post("/insert"), PORT + 1, clients=8, seconds=SECONDS)
    with gunicorn("bench.apps:product()", PORT, workers=2):
        form = http_load.throughput(Submit(people["applicants"]), PORT, clients=8, seconds=SECONDS)
        # The product's floor, beside the bare insert: its lightest page (no query but the
        # layout's, no form), through the same middleware, sessions and templates.
        floor = http_load.throughput(http_load.Get("/privacy"), PORT, clients=8, seconds=SECONDS / 2)
    results.update(product_lightest_page_requests_per_s=round(floor["requests_per_s"], 1),
                   lightest_page_ratio=round(floor["requests_per_s"] / bare["requests_per_s"], 2))
    results.update(submit_proposals_per_s=round(form["units_per_s"], 1),
                   submit_requests_per_s=round(form["requests_per_s"], 1),
                   submit_errors=form["errors"],
                   bare_insert_requests_per_s=round(bare["requests_per_s"], 1),
                   submit_ratio=round(form["requests_per_s"] / bare["requests_per_s"], 2))
    say(f"   form: {form['units_per_s']:.1f} proposals/s = {form['requests_per_s']:.0f} requests/s; "
        f"bare insert {bare['requests_per_s']:.0f}/s; ratio {results['submit_ratio']}; "
        f"the product's lightest page (/privacy) {floor['requests_per_s']:.0f}/s")


MIXED = ["/", "/catalogue", "/partners", "/stats", "/catalogue?ward=ward-asao", "/catalogue?page=3",
         "/open-data", "/evaluations"]


def bench_rss(people: dict) -> None:
    with gunicorn("bench.apps:bare()", PORT + 1, workers=1) as server:
        client = http_load.Client(PORT + 1)
        for _ in range(1000):
            client.get("/hello")
        [pid] = worker_pids(server.pid)
        bare = rss_mb(pid)
    with gunicorn("bench.apps:product()", PORT, workers=1) as server:
        [pid] = worker_pids(server.pid)
        started = rss_mb(pid)
        window, staff, visitor = (http_load.Client(PORT) for _ in range(3))
        window.get(f"/_bench/signin/{people['window']}")
        staff.get(f"/_bench/signin/{people['staff']}")
        staff_pages = ["/inbox", "/inbox?page=2"]
        window_pages = ["/triage/", "/triage/?state=all", "/window/dashboard"]
        for n in range(1000):
            if n % 5 == 0:
                window.get(window_pages[n % len(window_pages)])
            elif n % 5 == 1:
                staff.get(staff_pages[n % len(staff_pages)])
            else:
                visitor.get(MIXED[n % len(MIXED)])
        after = rss_mb(pid)
    results.update(rss_mb=round(after, 1), rss_at_start_mb=round(started, 1), rss_bare_mb=round(bare, 1),
                   rss_ratio=round(after / bare, 1))
    say(f"   worker RSS after 1,000 mixed requests {after:.0f} MB (at start {started:.0f}); bare Flask {bare:.0f} MB")


def bench_scaling() -> None:
    """Throughput of a public page from 1 to 4 gunicorn workers (8 clients)."""
    figures = {}
    for workers in (1, 2, 3, 4):
        with gunicorn("bench.apps:product()", PORT, workers=workers):
            run = http_load.throughput(http_load.Get("/catalogue"), PORT, clients=8, seconds=SECONDS / 2)
        figures[str(workers)] = round(run["requests_per_s"], 1)
        say(f"   {workers} worker(s): /catalogue {run['requests_per_s']:.0f} requests/s")
    results["catalogue_rps_by_workers"] = figures


# --- routing ----------------------------------------------------------------------------------------------

def bench_routing() -> None:
    import random

    from routing.defaults import file_ruleset
    from routing.engine import evaluate
    from routing.facts import RuleData

    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "routing_labelled.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    ruleset = file_ruleset()
    rng = random.Random(500)
    themes, wards = list(ruleset.themes), sorted(ruleset.ward_codes)
    many = file_ruleset()
    many.rules = list(ruleset.rules) + [
        RuleData(id=10_000 + n, key=f"bench-{n}", name=f"bench {n}", priority=500 + n,
                 condition={"all": [{"type": "ward", "value": [rng.choice(wards)]},
                                    {"type": "picked_theme", "value": [rng.choice(themes)]}]},
                 actions=[{"type": "add_tag", "value": f"bench-{n}"}], stop=False)
        for n in range(500)]

    def rate(rs, n: int) -> float:
        for row in rows[:20]:
            evaluate(row, rs)
        began = time.perf_counter()
        for i in range(n):
            evaluate(rows[i % len(rows)], rs)
        return n / (time.perf_counter() - began)

    results.update(routing_default_per_s=round(rate(ruleset, 4000)), routing_500_rules_per_s=round(rate(many, 1000)))
    results["routing_500_ratio"] = round(results["routing_500_rules_per_s"] / results["routing_default_per_s"], 3)
    say(f"   routing: default {results['routing_default_per_s']:,}/s, with 500 rules "
        f"{results['routing_500_rules_per_s']:,}/s")


def main() -> None:
    if os.environ.get("BENCH_REPORT_ONLY") == "1":  # RESULTS.md again from the JSON files
        results.update(json.loads((ROOT / "bench" / "results.json").read_text()))
        report.write_report(results, PAGES, save=False)
        return
    ensure_database()
    results.update(scale=SCALE, date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                   machine=report.machine(sa_url()))
    app = _create_app()({"SQLALCHEMY_DATABASE_URI": sa_url(), "OUTBOX_DISPATCH": "manual",
                         "BASE_URL": "http://bench.invalid", "RATELIMIT_ENABLED": False})
    if os.environ.get("BENCH_REUSE") != "1":
        say(f"== building {SCALE:,} proposals in {URL.rsplit('/', 1)[1]}")
        built = build(app)
        results["data_set"] = built
        say(f"   {built}")
    people = _people(app)
    steps = [("sweep", lambda: bench_sweep(app)), ("startup", bench_startup),
             ("pages", lambda: bench_pages(app, people)), ("submit", lambda: bench_submit(people)),
             ("rss", lambda: bench_rss(people)), ("scaling", bench_scaling), ("routing", bench_routing)]
    for name, step in steps:
        if wanted(name):
            say(f"== {name}")
            began = time.perf_counter()
            try:
                step()
            except Exception as failure:  # one broken figure must not lose the others
                notes.append(f"{name}: {type(failure).__name__}: {failure}")
                say(f"   FAILED: {failure!r}")
            say(f"   ({time.perf_counter() - began:.0f} s)")
            if name == "sweep":
                analyse()  # as autovacuum would after a day's sweep
    results["notes"] = notes
    report.write_report(results, PAGES, partial=bool(ONLY))
    say("== figures")
    for row in report.verdicts(results, PAGES):
        say(f"   {row[0]:44s} {row[1]!s:>10}  baseline {row[3]!s:>10}  ratio {row[4]!s:>6}  {row[5]:28s} {row[6]}")
    say("bench/results.json and bench/RESULTS.md written")


if __name__ == "__main__":
    main()
