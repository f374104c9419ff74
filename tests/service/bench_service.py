"""Loopback benchmark of the service, not collected by pytest:
``python tests/service/bench_service.py [--seconds S] [--workers 1,2] [--cases convert,reserve]
[--json FILE]``.

Starts ``jxc-rules serve --workers N --log-level warning --no-access-log`` on 127.0.0.1 in a
subprocess (uvloop + httptools, as uvicorn picks them) with a SQLite ledger in a temporary
folder, then drives it from client *processes* (each one keep-alive HTTP/1.1 connection on
a raw socket, the request bytes built once, so the client's own GIL is not what is measured
and the load generator takes little of the shared CPU):

- a 100-line conversion batch (``POST /v1/units/convert``), 1 and 8 concurrent clients;
- a 50-line reservation then its release (``POST /v1/reservations`` with an Idempotency-Key),
  1 and 8 concurrent clients;
- the same conversion batch in-process: the library's ``convert`` per line, and the service's
  own conversion (``convert_rows``: the integer fast path) without HTTP;
- the same reservation in-process: ``SqlLedger.reserve`` then ``release`` on the service's
  database, one transaction a call (no group commit: one caller).

The load generator shares the machine's cores with the server. Each HTTP row therefore also
gives the CPU time the server processes (the uvicorn supervisor and its workers) and the
client processes spent per request: ``req/s`` is what the clients saw on the wall clock;
``server_cpu_us`` per request says what the server alone would sustain on idle cores
(``cores / server_cpu_us``). The load average before and after is printed with the rows.
"""

from __future__ import annotations

import argparse
import contextlib
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
from collections.abc import Iterator
from typing import Any

CONVERT = {"lines": [{"value": str(i * 7 + 1), "from_unit": "斤" if i % 2 else "g",
                      "to_unit": "kg"} for i in range(100)]}
SKUS = [f"SKU-{i:03d}" for i in range(50)]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Conn:
    """One keep-alive HTTP/1.1 connection on a raw socket: the request bytes built once, the
    answer read by its Content-Length. A lean load generator (``http.client`` costs the
    client ~250 µs a request, CPU the server then does not get on a shared machine)."""

    def __init__(self, port: int, token: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = (f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\n").encode()
        self.buf = b""

    def request(self, path: str, body: bytes, extra: bytes = b"") -> bytes:
        """Send, and return the raw request bytes (for sending again with :meth:`send`)."""
        raw = (b"POST " + path.encode() + b" HTTP/1.1\r\n" + self.head + extra
               + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        return raw

    def send(self, raw: bytes) -> tuple[int, bytes]:
        self.sock.sendall(raw)
        buf = self.buf
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.index(b"content-length:") + 15
        length = int(lower[at:lower.index(b"\r\n", at) if b"\r\n" in lower[at:] else None])
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            rest += chunk
        self.buf = rest[length:]
        return status, rest[:length]

    def close(self) -> None:
        self.sock.close()


def _client(args: tuple[int, str, str, int, float, int]) -> tuple[list[float], float]:
    port, token, kind, n, t_end, who = args
    cpu0 = time.process_time()
    conn = _Conn(port, token)
    out: list[float] = []
    convert = conn.request("/v1/units/convert", json.dumps(CONVERT).encode())
    for i in range(n):
        if time.perf_counter() > t_end:
            break
        t0 = time.perf_counter()
        if kind == "convert":
            status, _ = conn.send(convert)
            assert status == 200, status
        else:
            oid = f"B-{t_end}-{who}-{i}"
            req = json.dumps({"order_id": oid, "lines": {s: 1 for s in SKUS}}).encode()
            status, _ = conn.send(conn.request("/v1/reservations", req,
                                               f"Idempotency-Key: r-{oid}\r\n".encode()))
            assert status == 201, status
            out.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            status, _ = conn.send(conn.request(f"/v1/reservations/{oid}/release", b""))
            assert status == 200, status
        out.append(time.perf_counter() - t0)
    conn.close()
    return out, time.process_time() - cpu0


def _cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) of the server processes: the supervisor and its workers."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def _case(pool: Any, port: int, token: str, kind: str, clients: int, seconds: float,
          server_pid: int, workers: int) -> dict[str, Any]:
    cpu0 = _cpu([server_pid])
    t_end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    parts = pool.map(_client, [(port, token, kind, 10**9, t_end, w) for w in range(clients)])
    wall = time.perf_counter() - t0
    server_cpu = _cpu([server_pid]) - cpu0
    lat = sorted(x for p, _ in parts for x in p)
    client_cpu = sum(c for _, c in parts)
    n = len(lat)
    return {"case": kind, "workers": workers, "clients": clients, "requests": n,
            "requests_per_s": round(n / wall, 1),
            "p50_ms": round(1000 * lat[n // 2], 2),
            "p99_ms": round(1000 * lat[min(n - 1, int(n * 0.99))], 2),
            "server_cpu_us": round(1e6 * server_cpu / max(n, 1), 1),
            "client_cpu_us": round(1e6 * client_cpu / max(n, 1), 1)}


def _in_process(seconds: float, fast: bool) -> dict[str, Any]:
    from jxc_rules.service.routes.kernels import convert_rows
    from jxc_rules.units import convert

    lines = CONVERT["lines"]
    rows = [(ln["value"], ln["from_unit"], ln["to_unit"], None, "half_up") for ln in lines]
    want = [str(convert(ln["value"], ln["from_unit"], ln["to_unit"])) for ln in lines]
    assert convert_rows(rows) == want
    lat = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t0 = time.perf_counter()
        if fast:
            convert_rows(rows)
        else:
            [str(convert(ln["value"], ln["from_unit"], ln["to_unit"])) for ln in lines]
        lat.append(time.perf_counter() - t0)
    lat.sort()
    return {"case": "convert in-process, " + ("service fast path" if fast else
                                              "library convert"),
            "workers": 0, "clients": 1, "requests": len(lat),
            "requests_per_s": round(len(lat) / seconds, 1),
            "p50_ms": round(1000 * statistics.median(lat), 3),
            "p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 3)}


def _in_process_reserve(seconds: float, db: str) -> dict[str, Any]:
    """The library in-process on the service's database: ``SqlLedger.reserve`` of a 50-line
    order then its ``release``, each a call (its own transaction), on the engine the service
    makes (same pragmas and lock settings), ledger tables of their own prefix."""
    from jxc_rules.reservation.sql import SqlLedger
    from jxc_rules.service.store import make_engine

    engine = make_engine(db)
    led = SqlLedger(engine, prefix="jxc_inproc_")
    led.create_tables()
    for sku in SKUS:
        led.receive(sku, 10**9)
    lat = []
    t_end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < t_end:
        oid = f"P-{i}"
        i += 1
        t0 = time.perf_counter()
        assert led.reserve(oid, {s: 1 for s in SKUS}) is True
        lat.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        led.release(oid)
        lat.append(time.perf_counter() - t0)
    engine.dispose()
    lat.sort()
    return {"case": "reserve in-process, SqlLedger calls", "workers": 0, "clients": 1,
            "requests": len(lat), "requests_per_s": round(len(lat) / seconds, 1),
            "p50_ms": round(1000 * statistics.median(lat), 3),
            "p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 3)}


def _start(db: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "jxc_rules", "serve", "--db", db, "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env={**os.environ})
    deadline = time.monotonic() + 60
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port)
            c.request("GET", "/health")
            c.getresponse().read()
            c.close()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise
            time.sleep(0.1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--json", default=None)
    ap.add_argument("--db", default=None, help="a database URL (default: SQLite in a temp dir)")
    ap.add_argument("--workers", default="1,2", help="server worker counts, e.g. 1,2")
    ap.add_argument("--clients", default="1,8", help="concurrent client counts, e.g. 1,8")
    ap.add_argument("--cases", default="convert,reserve", help="convert and/or reserve")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    with _own_schema(args.db or f"sqlite:///{tmp}/bench.db") as db:
        return _run(args, db)


@contextlib.contextmanager
def _own_schema(db: str) -> Iterator[str]:
    """A PostgreSQL URL gets a schema of the benchmark's own (dropped afterwards), a MariaDB
    one a database of its own: the benchmark never writes beside a host's tables."""
    import uuid

    import sqlalchemy as sa

    url = sa.make_url(db)
    if url.get_backend_name() not in ("postgresql", "mysql", "mariadb"):
        yield db
        return
    name = f"jxc_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    pg = url.get_backend_name() == "postgresql"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE {'SCHEMA' if pg else 'DATABASE'} {name}"))
    own = (url.update_query_dict({"options": f"-csearch_path={name}"}) if pg
           else url.set(database=name))
    try:
        yield own.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE" if pg else f"DROP DATABASE {name}"))
        admin.dispose()


def _run(args: argparse.Namespace, db: str) -> int:
    from jxc_rules.service.app import prepare
    from jxc_rules.service.settings import Settings
    from jxc_rules.service.store import Store, make_engine

    prepare(Settings(db_url=db))
    store = Store(make_engine(db))
    token = store.add_token("bench", ["kernels", "reservation:write"], rate_per_s=1e9,
                            burst=10**9)
    load0 = os.getloadavg()
    cases = args.cases.split(",")
    rows = ([_in_process(args.seconds, fast=False), _in_process(args.seconds, fast=True)]
            if "convert" in cases else [])
    if "reserve" in cases:
        rows.append(_in_process_reserve(args.seconds, db))
    clients = [int(c) for c in args.clients.split(",")]
    with mp.get_context("spawn").Pool(max(clients)) as pool:
        pool.map(abs, range(64))  # workers started before the clock runs
        for workers in (int(w) for w in args.workers.split(",")):
            port = _port()
            server = _start(db, port, workers)
            try:
                c = http.client.HTTPConnection("127.0.0.1", port)
                if "reserve" in cases:
                    for sku in SKUS:
                        c.request("POST", "/v1/stock/receive",
                                  json.dumps({"sku": sku, "quantity": 10**9}),
                                  {"Authorization": f"Bearer {token}",
                                   "Content-Type": "application/json"})
                        c.getresponse().read()
                c.close()
                # one short warm-up (imports, caches, the first connections) off the clock
                _case(pool, port, token, "convert", max(clients), 1.0, server.pid, workers)
                for kind in cases:
                    for n in clients:
                        rows.append(_case(pool, port, token, kind, n, args.seconds,
                                          server.pid, workers))
            finally:
                server.terminate()
                server.wait(timeout=30)
    load1 = os.getloadavg()
    print(f"load average before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, after "
          f"{load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; {os.cpu_count()} cores")
    for r in rows:
        cpu = (f"  server {r['server_cpu_us']} us/req, clients {r['client_cpu_us']} us/req"
               if "server_cpu_us" in r else "")
        print(f"{r['case']:<38} workers={r['workers']} clients={r['clients']}  "
              f"{r['requests_per_s']:>9} req/s  p50 {r['p50_ms']} ms  p99 {r['p99_ms']} ms  "
              f"(n={r['requests']}){cpu}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"load_before": load0, "load_after": load1, "rows": rows}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
