"""Loopback benchmark of the service, not collected by pytest:
``python tests/service/bench_service.py [--seconds S] [--json FILE]``.

Starts ``uvicorn`` (one worker, access log off) on 127.0.0.1 in a subprocess with a SQLite
ledger in a temporary folder, then drives it from client *processes* (each one keep-alive
``http.client`` connection, so the client's own GIL is not what is measured):

- a 100-line conversion batch (``POST /v1/units/convert``), 1 and 8 concurrent clients;
- a 50-line reservation then its release (``POST /v1/reservations`` with an Idempotency-Key),
  1 and 8 concurrent clients;
- the same conversion batch in-process (``convert`` per line) for comparison.

Prints requests/s and p50 / p99 latency per case, and ``--json`` writes them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

CONVERT = {"lines": [{"value": str(i * 7 + 1), "from_unit": "斤" if i % 2 else "g",
                      "to_unit": "kg"} for i in range(100)]}
SKUS = [f"SKU-{i:03d}" for i in range(50)]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _client(args: tuple[int, str, str, int, float, int]) -> list[float]:
    port, token, kind, n, t_end, who = args
    conn = http.client.HTTPConnection("127.0.0.1", port)
    head = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    out: list[float] = []
    body = json.dumps(CONVERT).encode()
    for i in range(n):
        if time.perf_counter() > t_end:
            break
        t0 = time.perf_counter()
        if kind == "convert":
            conn.request("POST", "/v1/units/convert", body, head)
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
        else:
            oid = f"B-{t_end}-{who}-{i}"
            req = json.dumps({"order_id": oid, "lines": {s: 1 for s in SKUS}}).encode()
            conn.request("POST", "/v1/reservations", req,
                         {**head, "Idempotency-Key": f"r-{oid}"})
            r = conn.getresponse()
            r.read()
            assert r.status == 201, r.status
            out.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            conn.request("POST", f"/v1/reservations/{oid}/release", b"", head)
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
        out.append(time.perf_counter() - t0)
    conn.close()
    return out


def _case(pool: Any, port: int, token: str, kind: str, clients: int,
          seconds: float) -> dict[str, Any]:
    t_end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    parts = pool.map(_client, [(port, token, kind, 10**9, t_end, w) for w in range(clients)])
    wall = time.perf_counter() - t0
    lat = sorted(x for p in parts for x in p)
    return {"case": kind, "clients": clients, "requests": len(lat),
            "requests_per_s": round(len(lat) / wall, 1),
            "p50_ms": round(1000 * lat[len(lat) // 2], 2),
            "p99_ms": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2)}


def _in_process(seconds: float) -> dict[str, Any]:
    from jxc_rules.units import convert

    lines = CONVERT["lines"]
    lat = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t0 = time.perf_counter()
        [str(convert(ln["value"], ln["from_unit"], ln["to_unit"])) for ln in lines]
        lat.append(time.perf_counter() - t0)
    lat.sort()
    return {"case": "convert in-process", "clients": 1, "requests": len(lat),
            "requests_per_s": round(len(lat) / seconds, 1),
            "p50_ms": round(1000 * statistics.median(lat), 3),
            "p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 3)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--db", default=None, help="a database URL (default: SQLite in a temp dir)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    db = args.db or f"sqlite:///{tmp}/bench.db"
    from jxc_rules.service.store import Store, make_engine

    store = Store(make_engine(db))
    store.create_tables()
    token = store.add_token("bench", ["kernels", "reservation:write"], rate_per_s=1e9,
                            burst=10**9)
    port = _port()
    code = ("import uvicorn; from jxc_rules.service import Settings, create_app; "
            f"uvicorn.run(create_app(Settings(db_url={db!r})), host='127.0.0.1', port={port}, "
            "log_level='warning', access_log=False)")
    server = subprocess.Popen([sys.executable, "-c", code], env={**os.environ})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port)
                c.request("GET", "/health")
                c.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        c = http.client.HTTPConnection("127.0.0.1", port)
        for sku in SKUS:
            c.request("POST", "/v1/stock/receive", json.dumps({"sku": sku, "quantity": 10**9}),
                      {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            c.getresponse().read()
        rows = [_in_process(args.seconds)]
        with mp.get_context("spawn").Pool(8) as pool:
            pool.map(abs, range(64))  # workers started before the clock runs
            for kind in ("convert", "reserve"):
                for clients in (1, 8):
                    rows.append(_case(pool, port, token, kind, clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    for r in rows:
        print(f"{r['case']:<20} clients={r['clients']}  {r['requests_per_s']:>9} req/s  "
              f"p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  (n={r['requests']})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
