#!/usr/bin/env python3
"""Mixed traffic against a running server (issue 6): 80 % reads (locate, OGC items, tiles) and
20 % writes (status transitions and edits, each after reading the project's version) from N
concurrent clients with keep-alive connections, for a fixed time; optionally restarts PostgreSQL
in the middle. Prints a JSON summary: per route requests, req/s, p50/p99 ms, status counts; the
writes acknowledged with 2xx (their project ids and times) go to --acked for the caller to check
against the database.

    mixed_load.py --base http://127.0.0.1:18095 --token T --projects 1-100000 \
        --seconds 120 --clients 64 [--restart-at 60 --restart-cmd "pg_ctlcluster 15 main restart"]

Standard library only; each client is a thread (the work is I/O wait on the server).
"""

import argparse
import http.client
import json
import math
import random
import subprocess
import threading
import time
import urllib.parse

NEXT = {  # the lifecycle (src/domain/status.rs)
    "planned": ["preparing", "in_progress", "suspended"],
    "preparing": ["in_progress", "suspended"],
    "in_progress": ["completed", "suspended"],
    "completed": ["accepted", "in_progress"],
    "accepted": ["in_progress"],
    "suspended": ["planned", "preparing", "in_progress"],
    "cancelled": [],
}


class Client(threading.Thread):
    def __init__(self, n, args, deadline, results, lock):
        super().__init__(daemon=True)
        # a different sequence per run: a write repeating an earlier run's value would change
        # nothing, record nothing, and look like a lost update
        self.rng = random.Random(f"{args.seed}-{n}")
        self.args, self.deadline, self.results, self.lock = args, deadline, results, lock
        url = urllib.parse.urlsplit(args.base)
        self.host, self.port = url.hostname, url.port
        self.conn = None
        self.samples = []  # (route, status, seconds, finished_at)
        self.acked = []  # (project_id, kind, finished_at)

    def request(self, route, method, path, body=None, headers=None):
        headers = dict(headers or {})
        headers["Authorization"] = f"Bearer {self.args.token}"
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                status, etag = response.status, response.getheader("ETag")
                break
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 1:
                    status, payload, etag = 0, b"", None
        finished = time.monotonic()
        self.samples.append((route, status, finished - started, finished))
        return status, payload, etag

    def read(self):
        r = self.rng.random()
        lon, lat = 116.5 + self.rng.random() * 5.2, 30.9 + self.rng.random() * 4.0
        if r < 0.4:
            self.request("locate", "GET", f"/api/locate?lon={lon:.5f}&lat={lat:.5f}&radius=3000")
        elif r < 0.7:
            box = f"{lon:.4f},{lat:.4f},{lon + 0.1:.4f},{lat + 0.1:.4f}"
            self.request("ogc_items", "GET", f"/ogc/collections/contaminated_plot/items?bbox={box}&limit=100")
        else:
            z = 11
            n = 2 ** z
            x = int((lon + 180) / 360 * n)
            y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
            self.request("tile", "GET", f"/tiles/sites/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})

    def write(self):
        project = self.rng.randint(self.args.first, self.args.last)
        status, payload, etag = self.request("project_get", "GET", f"/api/projects/{project}")
        if status != 200 or not etag:
            return
        current = json.loads(payload)
        if self.rng.random() < 0.5 and NEXT.get(current["status"]):
            target = self.rng.choice(NEXT[current["status"]])
            body = {"to": target, "note": "load test"}
            if target == "suspended":
                body["reason"] = "load test"
            status, _, _ = self.request("transition", "POST", f"/api/projects/{project}/transitions", body, {"If-Match": etag})
            kind = "status"
        else:
            # a different value, so that the write changes something and records its event
            progress = (current["progress"] + self.rng.randint(1, 100)) % 101
            body = {"progress": progress, "note": "load test"}
            status, _, _ = self.request("progress", "POST", f"/api/projects/{project}/progress", body, {"If-Match": etag})
            kind = "progress"
        if 200 <= status < 300:
            self.acked.append((project, kind, time.time()))

    def run(self):
        while time.monotonic() < self.deadline:
            if self.rng.random() < 0.8:
                self.read()
            else:
                self.write()
        with self.lock:
            self.results.append(self)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] * 1000 if values else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--projects", default="1-100000")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--restart-at", type=float)
    parser.add_argument("--restart-cmd", default="pg_ctlcluster 15 main restart")
    parser.add_argument("--acked", default="acked.json")
    parser.add_argument("--seed", default=str(time.time()))
    args = parser.parse_args()
    args.first, args.last = (int(v) for v in args.projects.split("-"))

    started = time.monotonic()
    deadline = started + args.seconds
    results, lock = [], threading.Lock()
    clients = [Client(n, args, deadline, results, lock) for n in range(args.clients)]
    for c in clients:
        c.start()
    restart = {}
    if args.restart_at is not None:
        time.sleep(args.restart_at)
        restart["at"] = time.monotonic()
        subprocess.run(args.restart_cmd, shell=True, check=True)
        restart["db_back"] = time.monotonic()
    for c in clients:
        c.join()
    elapsed = time.monotonic() - started

    samples = [s for c in results for s in c.samples]
    routes = {}
    for route, status, seconds, _ in samples:
        entry = routes.setdefault(route, {"latencies": [], "statuses": {}})
        entry["latencies"].append(seconds)
        entry["statuses"][str(status)] = entry["statuses"].get(str(status), 0) + 1
    summary = {"seconds": round(elapsed, 1), "clients": args.clients, "requests": len(samples), "routes": {}}
    for route, entry in sorted(routes.items()):
        summary["routes"][route] = {
            "requests": len(entry["latencies"]),
            "req_per_s": round(len(entry["latencies"]) / elapsed, 1),
            "p50_ms": round(percentile(entry["latencies"], 0.5), 1),
            "p99_ms": round(percentile(entry["latencies"], 0.99), 1),
            "statuses": entry["statuses"],
        }
    summary["server_errors"] = sum(1 for s in samples if s[1] >= 500 or s[1] == 0)
    if restart:
        after = [s for s in samples if s[3] > restart["at"]]
        failed = [s for s in after if s[1] >= 500 or s[1] == 0]
        last_failure = max((s[3] for s in failed), default=restart["at"])
        first_ok_after = min((s[3] for s in after if 200 <= s[1] < 300 and s[3] > last_failure), default=None)
        summary["restart"] = {
            "at_s": round(restart["at"] - started, 1),
            "db_back_after_s": round(restart["db_back"] - restart["at"], 1),
            "errors_during": len(failed),
            "service_ok_after_s": round(first_ok_after - restart["at"], 1) if first_ok_after else None,
        }
    acked = [a for c in results for a in c.acked]
    summary["acked_writes"] = len(acked)
    with open(args.acked, "w") as f:
        json.dump(acked, f)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
