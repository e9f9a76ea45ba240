"""``make bench``: Keel under load on PostgreSQL + Redis, beside floors, on this machine.

Creates a fresh ``keel_bench`` database, seeds it through the project's own services,
starts gunicorn exactly as the production image does (production settings, the gunicorn
config file) with the floor views added, drives every scenario with wrk at 16 and 64
connections, and writes a markdown table plus ``bench/results/<date>-<commit>.json``.
"""

import argparse
import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
QUICK_RESULTS_DIR = ROOT / "bench" / "tmp"

FULL = {"warmup": 5, "seconds": 15, "connections": [16, 64], "items": 10_000, "others": 50}
QUICK = {"warmup": 1, "seconds": 3, "connections": [16], "items": 1_000, "others": 5}
# A generous ceiling on refresh requests per second, so each run has a fresh token for
# every request it can make.
MAX_REFRESH_RATE = 1_500


def main() -> None:
    args = _arguments()
    plan = QUICK if args.quick else FULL
    from bench.wrk import wrk_binary

    wrk = wrk_binary()
    port = _free_port()
    environment = _environment(args, port)
    os.environ.update(environment)
    _recreate_database(environment["DATABASE_URL"])

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    from bench.seed import BENCH_EMAIL, BENCH_PASSWORD, bench_seed

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()
    # The in-process query counting below must not print an access line per request.
    logging.getLogger("keel.access").setLevel(logging.WARNING)
    _say("seeding")
    data = bench_seed(
        items=plan["items"],
        other_users=plan["others"],
        items_per_other=plan["items"] // 10,
    )
    # Bulk-loaded tables have neither planner statistics nor a visibility map (which
    # index-only scans, such as the list's COUNT, need) until autovacuum has visited
    # them; a production database that has lived a while has both.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    work_dir = Path(tempfile.mkdtemp(prefix="keel-bench-"))
    ids_file = work_dir / "item-ids.txt"
    ids_file.write_text("\n".join(data.item_ids) + "\n")
    wrk_env = {
        **os.environ,
        "BENCH_TOKEN": data.access_token,
        "BENCH_IDS": str(ids_file),
        "BENCH_EMAIL": BENCH_EMAIL,
        "BENCH_PASSWORD": BENCH_PASSWORD,
    }
    server_env = {**environment, "BENCH_USER_ID": str(data.user.pk)}

    from bench.queries import queries_per_request
    from bench.scenarios import scenarios

    plan_scenarios = scenarios(item_id=data.item_ids[0], file_id=data.file_id)
    _say("counting SQL queries per request")
    queries = queries_per_request(plan_scenarios, data, user_id=str(data.user.pk))

    results = []
    with _gunicorn(server_env, work_dir, workers=args.workers, threads=args.threads) as master_pid:
        for scenario in plan_scenarios:
            for connections in plan["connections"]:
                results.append(
                    _measure(
                        wrk,
                        scenario,
                        connections=connections,
                        plan=plan,
                        port=port,
                        wrk_env=wrk_env,
                        work_dir=work_dir,
                        user=data.user,
                        master_pid=master_pid,
                    )
                )
                results[-1]["queries"] = queries.get(scenario.name)
        rss_final = _worker_rss_mb(master_pid)

    from bench.report import markdown_table, with_floor_ratios

    results = with_floor_ratios(results, plan_scenarios)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "quick": args.quick,
        "workers": args.workers,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "plan": plan,
        "hasher": _hasher_parameters(),
        "worker_rss_mb_final": rss_final,
        "results": results,
    }
    out_dir = QUICK_RESULTS_DIR if args.quick else RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    threads = f"-threads{args.threads}" if args.threads > 1 else ""
    out_file = out_dir / f"{datetime.now(UTC):%Y-%m-%d}-{report['commit']}{threads}.json"
    out_file.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(markdown_table(report))
    print(f"\nwritten to {out_file.relative_to(ROOT)}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (default 1; >1 is gthread)"
    )
    parser.add_argument("--quick", action="store_true", help="3-second smoke run")
    return parser.parse_args()


def _environment(args: argparse.Namespace, port: int) -> dict[str, str]:
    """Production settings on loopback: plain HTTP, bench database, throttles and worker
    recycling out of the way."""
    database = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/keel_bench")
    unlimited = "1000000/second"
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_COOKIES": "false",
        "DATABASE_URL": database.rsplit("/", 1)[0] + "/keel_bench",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="keel-bench-media-"),
        "STATIC_ROOT": tempfile.mkdtemp(prefix="keel-bench-static-"),
        "JWT_ACCESS_TOKEN_LIFETIME_MINUTES": "120",
        "LOG_FORMAT": "json",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        # Production replaces a worker after ~100,000 requests; in a run that would be a
        # cold worker (and its import time) in the middle of a measurement.
        "GUNICORN_MAX_REQUESTS": "0",
        **{
            f"THROTTLE_RATE_{scope}": unlimited
            for scope in [
                "ANON",
                "USER",
                "LOGIN_IP",
                "LOGIN_ACCOUNT",
                "REGISTER_IP",
                "REGISTER_ACCOUNT",
                "PASSWORD_RESET_IP",
                "PASSWORD_RESET_ACCOUNT",
                "VERIFICATION_IP",
                "VERIFICATION_ACCOUNT",
            ]
        },
    }


def _recreate_database(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def _gunicorn(environment: dict, work_dir: Path, *, workers: int, threads: int):
    log = (work_dir / "gunicorn.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "config/gunicorn.py",
            "bench.wsgi:application",
        ],
        cwd=ROOT,
        env={**os.environ, **environment},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_ready(f"http://{environment['GUNICORN_BIND']}/health/ready", process)
        _say(f"gunicorn up with {workers} workers x {threads} threads (log: {log.name})")
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def _measure(wrk, scenario, *, connections, plan, port, wrk_env, work_dir, user, master_pid):
    from bench.seed import refresh_tokens_write
    from bench.wrk import run_wrk

    url = f"http://127.0.0.1:{port}{scenario.path}"
    env = dict(wrk_env)
    for phase, seconds in (("warm-up", plan["warmup"]), ("run", plan["seconds"])):
        if scenario.script == "refresh.lua":
            tokens = work_dir / f"tokens-{connections}-{phase}.txt"
            refresh_tokens_write(user=user, count=int(MAX_REFRESH_RATE * seconds), path=tokens)
            env["BENCH_TOKENS"] = str(tokens)
        result = run_wrk(
            wrk, url=url, script=scenario.script, connections=connections, seconds=seconds, env=env
        )
    _say(
        f"{scenario.name:<22} c={connections:<3} {result.requests_per_second:9.1f} req/s  "
        f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  non-2xx {result.non_2xx}"
    )
    return {
        "scenario": scenario.name,
        "method": scenario.method,
        "path": scenario.path,
        "connections": connections,
        "requests_per_second": result.requests_per_second,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "requests": result.requests,
        "non_2xx": result.non_2xx,
        "socket_errors": result.errors,
        "worker_rss_mb": _worker_rss_mb(master_pid),
    }


def _worker_rss_mb(master_pid: int) -> list[float]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    sizes = []
    for pid in children:
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except FileNotFoundError:  # a worker that exited meanwhile
            continue
        # A worker being replaced has no VmRSS line any more.
        sizes += [
            round(int(line.split()[1]) / 1024, 1) for line in lines if line.startswith("VmRSS:")
        ]
    return sizes


def _hasher_parameters() -> dict:
    from django.contrib.auth.hashers import get_hasher

    # Read back from a real hash, which states its own variant and costs:
    # argon2$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
    hasher = get_hasher("default")
    _, variant, _, costs, *_ = hasher.encode("benchmark", hasher.salt()).split("$")
    cost = dict(part.split("=") for part in costs.split(","))
    return {
        "algorithm": hasher.algorithm,
        "variant": variant,
        "memory_cost_kib": int(cost["m"]),
        "time_cost": int(cost["t"]),
        "parallelism": int(cost["p"]),
    }


def _wait_until_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see its log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not become ready at {url}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _commit() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.stdout.strip() or "unknown"


def _say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


if __name__ == "__main__":
    main()
