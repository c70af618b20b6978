"""A small HTTP load client for the bench (standard library only):
sequential timed requests for page latencies, and several processes
hammering a server for throughput. Sync gunicorn workers close each
connection, so every request opens one, as a browser behind a proxy would."""

from __future__ import annotations

import http.client
import multiprocessing
import time
import urllib.parse


class Client:
    """One visitor: keeps the session cookie, follows nothing."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, bytes]:
        body = urllib.parse.urlencode(form or {}, doseq=True) if form is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("session="):
                    self.cookie = value.split(";", 1)[0]
            return response.status, dict(response.getheaders()), data
        finally:
            conn.close()

    def get(self, path: str) -> int:
        return self.request("GET", path)[0]


def timed_gets(client: Client, path: str, runs: int, warm: int = 3) -> list[float]:
    """Milliseconds of `runs` sequential GETs after `warm` untimed ones."""
    for _ in range(warm):
        status = client.get(path)
        assert status == 200, (path, status)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        status = client.get(path)
        samples.append((time.perf_counter() - began) * 1000)
        assert status == 200, (path, status)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def _worker(args) -> tuple[int, int, int]:
    job, port, seconds, index = args
    client = Client(port)
    done = errors = units = 0
    deadline = time.perf_counter() + seconds
    state = job.setup(client, index) if hasattr(job, "setup") else None
    while time.perf_counter() < deadline:
        requests, ok = job.run(client, state)
        done += requests
        units += ok
        errors += requests if not ok else 0
    return done, units, errors


def throughput(job, port: int, clients: int, seconds: float) -> dict:
    """Requests (and units of work, e.g. proposals) per second with `clients`
    processes each looping `job.run(client, state)` for `seconds`."""
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(_worker, [(job, port, seconds, i) for i in range(clients)])
    elapsed = time.perf_counter() - began
    requests = sum(r[0] for r in results)
    units = sum(r[1] for r in results)
    return {"requests_per_s": requests / seconds, "units_per_s": units / seconds,
            "errors": sum(r[2] for r in results), "wall_s": elapsed}


class Get:
    """A job: GET one path (after signing in as `user_id`, when given)."""

    def __init__(self, path: str, user_id: int | None = None):
        self.path, self.user_id = path, user_id

    def setup(self, client: Client, index: int):
        if self.user_id:
            client.get(f"/_bench/signin/{self.user_id}")

    def run(self, client: Client, state) -> tuple[int, int]:
        return 1, int(client.get(self.path) == 200)


class Post:
    def __init__(self, path: str):
        self.path = path

    def run(self, client: Client, state) -> tuple[int, int]:
        return 1, int(client.request("POST", self.path, {})[0] in (200, 204))

