"""Deadline-day surge: many applicants submit at once while staff browse.

    .venv/bin/python bench/surge.py --database-url postgresql://postgres@127.0.0.1:5432/window_surge \
        --redis-url redis://127.0.0.1:6379/0 [--submitters 200] [--staff 8] [--port 5107] [--workers 2]

Against gunicorn (gthread) + PostgreSQL + Redis on this machine, 127.0.0.1
only. THE DATABASE IS EMPTIED (its public schema dropped and migrated again):
give it a scratch database. Each submitter is an applicant already signed in
(through the real one-time link) who, at the same moment as the others, opens
the form, fills in the five steps and submits (8 requests, CSRF tokens as a
browser sends them); meanwhile window and department staff page through the
triage queue, proposal pages, their inbox and the dashboard until the
submitters are done. Rate limits are off for the run: every submitter comes
from 127.0.0.1, which the per-address limits would (rightly) treat as one
client. Emails are dispatched to Redis after each commit as in production (no
worker runs: they wait in the queue and the outbox).

Prints throughput, latency percentiles (submission, every applicant request,
staff pages), the status codes seen, and the checks: 0 lost (every submitter
whose submission answered 302 has a submitted proposal, and the database holds
no other) and 0 × 5xx. Exits 1 if either fails. Bounded: at most
--submitters threads (≤ 400), and --timeout seconds in all.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STEPS = {
    1: {"name": "NPO法人サージ応援団", "name_kana": "さーじおうえんだん", "kind": "npo_corp", "representative": "理事長 川崎 花子",
        "postal_code": "2130001", "address": "川崎市高津区溝口1-2-3", "phone": "044-812-3456", "founded_year": "2015",
        "member_count": "25"},
    2: {"contact_name": "川崎 一郎", "contact_email": "", "contact_phone": "090-1234-5678"},
    3: {"title": "締切日の提案", "summary": "放課後の子どもに食事と学習の場を用意します。",
        "issue": "放課後にひとりで過ごす子どもが増えています。", "activities": "週2回、集会所で夕食と宿題の時間を用意します。",
        "outcomes": "参加人数と保護者アンケートで測ります。"},
    4: {"scope": "ward", "wards": ["ward-takatsu"], "themes": ["child-poverty", "youth"], "stage": "established"},
    5: {"support_requested": ["venue"], "budget_total": "800000", "budget_requested": "300000",
        "period_start": "2027-04-01", "period_end": "2028-03-31", "exit_strategy": "business"},
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person: a cookie jar, a CSRF token, every request timed."""

    def __init__(self, base: str, log: list, kind: str):
        self.base, self.log, self.kind = base, log, kind
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())
        self.csrf = ""

    def request(self, path: str, data: dict | None = None, what: str = "") -> tuple[int, str, str]:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrf_token": self.csrf}, doseq=True).encode()
        began = time.perf_counter()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=120) as response:
                status, text, location = response.status, response.read().decode("utf-8", "replace"), ""
        except urllib.error.HTTPError as answer:
            status, text = answer.code, answer.read().decode("utf-8", "replace")
            location = answer.headers.get("Location", "")
        except OSError as error:  # refused, reset, timed out: counted as a failure, never hidden
            status, text, location = 599, str(error), ""
        self.log.append((self.kind, what or path, status, time.perf_counter() - began))
        token = CSRF.search(text)
        if token:
            self.csrf = token.group(1)
        return status, text, location


def prepare(database_url: str, submitters: int, staff: int) -> tuple[list[str], list[str], str]:
    """Empty the database, migrate, seed; applicants (each with a sign-in link) and staff."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from core.auth import hash_password, issue_signin_link
    from core.extensions import db
    from core.models import Department, Role, User
    from core.seed import seed_reference
    from window import create_app

    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "OUTBOX_DISPATCH": "manual", "RATELIMIT_ENABLED": False,
                      "BASE_URL": "http://127.0.0.1"})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
        upgrade()
        seed_reference()
        password = hash_password("surge-pass-2026")
        staff_emails = []
        for number in range(staff):
            code, role = (("jichi", Role.WINDOW) if number % 2 == 0 else ("ward-takatsu", Role.DEPARTMENT_STAFF))
            department = db.session.scalar(sa.select(Department).where(Department.code == code))
            user = User(email=f"staff{number}@surge.invalid", role=role, department=department,
                        password_hash=password, name=f"職員 {number}")
            db.session.add(user)
            staff_emails.append(user.email)
        db.session.commit()
        links = []
        with app.test_request_context():
            for number in range(submitters):
                links.append(issue_signin_link(f"applicant{number}@surge.example.jp"))
            db.session.commit()
    return links, staff_emails, "surge-pass-2026"


def submitter(base: str, number: int, token: str, log: list, start: threading.Event, outcome: dict) -> None:
    person = Browser(base, log, "applicant")
    person.request(f"/signin/link/{token}", what="sign-in page")
    status, _, _ = person.request(f"/signin/link/{token}", data={}, what="sign in")
    if status != 302:
        outcome[number] = f"sign-in {status}"
        return
    start.wait()  # everybody at once
    person.request("/proposals/new", what="GET /proposals/new")
    status, _, location = person.request("/proposals/new", data={"organisation": "new"}, what="POST /proposals/new")
    if status != 302:
        outcome[number] = f"new draft {status}"
        return
    draft = location.split("/proposals/")[1].split("/")[0]
    for step, fields in STEPS.items():
        if step == 2:
            fields = {**fields, "contact_email": f"applicant{number}@surge.example.jp"}
        status, _, _ = person.request(f"/proposals/{draft}/step/{step}", data=fields, what="POST step")
        if status != 302:
            outcome[number] = f"step {step} {status}"
            return
    person.request(f"/proposals/{draft}/review", what="GET review")
    status, _, _ = person.request(f"/proposals/{draft}/review", data={"consent_privacy": "y"}, what="submit")
    outcome[number] = "submitted" if status == 302 else f"submit {status}"


def browsing(base: str, email: str, password: str, log: list, start: threading.Event, stop: threading.Event) -> None:
    person = Browser(base, log, "staff")
    person.request("/staff/login", what="staff login page")
    person.request("/staff/login", data={"email": email, "password": password}, what="staff login")
    start.wait()
    window = email.startswith("staff") and int(email[5:].split("@")[0]) % 2 == 0
    while not stop.is_set():
        if window:
            _, page, _ = person.request("/triage/", what="GET /triage/")
            for reference in re.findall(r'href="/triage/([A-Z]+-\d{4}-\d{6})"', page)[:3]:
                person.request(f"/triage/{reference}", what="GET /triage/<ref>")
            person.request("/window/dashboard", what="GET /window/dashboard")
        else:
            person.request("/inbox", what="GET /inbox")
        person.request("/catalogue", what="GET /catalogue")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a scratch PostgreSQL database: it is emptied")
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--submitters", type=int, default=200)
    parser.add_argument("--staff", type=int, default=8)
    parser.add_argument("--port", type=int, default=5107)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--timeout", type=int, default=600)
    parser.add_argument("--app", default="window:create_app()")
    args = parser.parse_args()
    submitters = min(args.submitters, 400)
    links, staff_emails, password = prepare(args.database_url, submitters + 1, args.staff)
    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url, "RATELIMIT_ENABLED": "0",
           "SECRET_KEY": "surge-bench", "UPLOAD_DIR": tempfile.mkdtemp(prefix="surge-uploads-"),
           "BASE_URL": f"http://127.0.0.1:{args.port}"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-k", "gthread", "-w", str(args.workers), "--threads",
         str(args.threads), "-b", f"127.0.0.1:{args.port}", "--timeout", "120", "--log-level", "warning", args.app],
        cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        # The baseline: one applicant alone, before the rush (the last link).
        solo_log: list = []
        solo_start = threading.Event()
        solo_start.set()
        submitter(base, submitters, links[submitters], solo_log, solo_start, {})
        log: list = []
        outcome: dict[int, str] = {}
        start, stop = threading.Event(), threading.Event()
        people = [threading.Thread(target=submitter, args=(base, n, links[n], log, start, outcome), daemon=True)
                  for n in range(submitters)]
        staff = [threading.Thread(target=browsing, args=(base, email, password, log, start, stop), daemon=True)
                 for email in staff_emails]
        for thread in people + staff:
            thread.start()
        time.sleep(3)  # let everybody sign in, then the deadline-day rush
        log.clear()
        began = time.perf_counter()
        start.set()
        deadline = time.monotonic() + args.timeout
        for thread in people:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        wall = time.perf_counter() - began
        stop.set()
        for thread in staff:
            thread.join(timeout=30)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return report(args, submitters, outcome, log, wall, solo_log)


def report(args, submitters: int, outcome: dict, log: list, wall: float, solo_log: list) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT state, count(*) FROM proposals GROUP BY state")).all())
    engine.dispose()
    submitted = sum(1 for result in outcome.values() if result == "submitted")
    in_database = sum(count for state, count in stored.items() if state != "draft") - 1  # less the baseline's
    statuses = Counter(status for _kind, _what, status, _seconds in log)
    errors = sum(count for status, count in statuses.items() if status >= 500)

    def line(label: str, rows) -> str:
        seconds = [s * 1000 for s in rows]
        return (f"  {label:28s} n={len(seconds):5d}  p50 {percentile(seconds, 0.5):7.0f} ms  "
                f"p95 {percentile(seconds, 0.95):7.0f} ms  p99 {percentile(seconds, 0.99):7.0f} ms  "
                f"max {max(seconds, default=float('nan')):7.0f} ms")

    print(f"surge: {submitters} submitters + {args.staff} staff against gunicorn {args.workers}×{args.threads} "
          f"(gthread) + PostgreSQL + Redis on 127.0.0.1, {os.cpu_count()} cores")
    print(f"  wall {wall:.1f} s; submissions {submitted}/{submitters} ({submitted / wall:.1f} per s); "
          f"requests {len(log)} ({len(log) / wall:.1f} per s)")
    print(line("submission (POST review)", [s for k, w, _status, s in log if w == "submit"]))
    print(line("every applicant request", [s for k, w, _status, s in log if k == "applicant"]))
    print(line("staff pages", [s for k, w, _status, s in log if k == "staff"]))
    solo = [s * 1000 for k, w, _status, s in solo_log if w == "submit"]
    solo_all = [s * 1000 for k, w, _status, s in solo_log if w != "sign in" and w != "sign-in page"]
    surge_submit = percentile([s * 1000 for k, w, _status, s in log if w == "submit"], 0.95)
    surge_all = percentile([s * 1000 for k, w, _status, s in log if k == "applicant"], 0.95)
    print(f"  baseline, one applicant alone: submission {solo[0] if solo else float('nan'):.0f} ms, "
          f"slowest of its requests {max(solo_all, default=float('nan')):.0f} ms; surge p95 ÷ baseline: "
          f"submission {surge_submit / solo[0] if solo else float('nan'):.1f}×, "
          f"any request {surge_all / max(solo_all, default=float('nan')):.1f}×")
    print(f"  status codes: {dict(sorted(statuses.items()))}")
    print(f"  proposals in the database: {dict(sorted(stored.items()))}")
    not_submitted = Counter(result for result in outcome.values() if result != "submitted")
    lost = submitted - in_database
    print(f"  lost: {lost} (answered 302 but not stored: {max(lost, 0)}; stored without a 302: {max(-lost, 0)}); "
          f"5xx: {errors}; not submitted: {dict(not_submitted) or 0}; never finished: {submitters - len(outcome)}")
    return 0 if (lost == 0 and errors == 0 and submitted == submitters) else 1


if __name__ == "__main__":
    raise SystemExit(main())
