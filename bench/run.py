"""``make bench``: Keel under load on PostgreSQL + Redis, beside floors, on this machine.

Creates a fresh ``keel_bench`` database, seeds it through the project's own services,
starts gunicorn exactly as the production image does (production settings, the gunicorn
config file) with the floor views added, and drives the scenarios with wrk:

1. the scenarios the budgets compare (``Scenario.in_rounds``: the lists cold and warm,
   the deep page, the cold retrieve, the create, and their floors), one after another,
   in ``rounds`` interleaved rounds at 16 connections (``bench.rounds``);
2. every other scenario once at 16 connections, and every API scenario once at 64;
3. the list scaling table: owners of 1,000 to 1,000,000 items (inserted by PostgreSQL,
   ``bench.seed.items_bulk_insert``), each one's first page cold, in interleaved rounds.

It prints the tables and writes ``bench/results/<date>-<commit>.json``, then drops the
bench database (the scaling owners' rows and indexes take several hundred megabytes)
and empties its Redis database.
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
QUICK_RESULTS_DIR = ROOT / "bench" / "tmp"

# About 13 minutes on the 2-core bench machine. Runs are 10 s after 2 s of warm-up
# (15 s after 5 s before the rounds), the scaling table's 8 s after 2 s: three rounds
# of the eight compared scenarios are most of the time, and a ratio's median of three
# short runs is steadier than one long run.
FULL = {
    "warmup": 2,
    "seconds": 10,
    "rounds": 3,
    "connections": [16, 64],
    "items": 10_000,
    "others": 50,
    "deep_page": 400,
    "scaling_items": [1_000, 10_000, 100_000, 1_000_000],
    "scaling_warmup": 2,
    "scaling_seconds": 8,
}
QUICK = {
    "warmup": 1,
    "seconds": 3,
    "rounds": 1,
    "connections": [16],
    "items": 1_000,
    "others": 5,
    "deep_page": 40,
    "scaling_items": [1_000, 10_000],
    "scaling_warmup": 1,
    "scaling_seconds": 2,
}
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
    load_at_start = os.getloadavg()

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
    _vacuum_analyze()
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
    server_env = {
        **environment,
        "BENCH_USER_ID": str(data.user.pk),
        "BENCH_WRITER_ID": str(data.writer.pk),
    }

    from bench.cursors import page_path
    from bench.queries import queries_per_request
    from bench.scenarios import scenarios

    _say(f"following the list's next links to page {plan['deep_page']}")
    deep_path = page_path(access_token=data.access_token, page=plan["deep_page"])
    plan_scenarios = scenarios(
        item_id=data.item_ids[0],
        file_id=data.file_id,
        deep_page=plan["deep_page"],
        deep_path=deep_path,
    )
    _say("counting SQL queries per request")
    queries = queries_per_request(plan_scenarios, data, user_id=str(data.user.pk))

    with _gunicorn(server_env, work_dir, workers=args.workers, threads=args.threads) as master_pid:
        rss_start = _worker_rss_mb(master_pid)
        runner = _Runner(wrk, port, plan, wrk_env, work_dir, data, master_pid)
        results = _scenario_rows(runner, plan_scenarios, plan, queries)
        scaling, seed_seconds = _list_scaling(runner, plan)
        rss_final = _worker_rss_mb(master_pid)
    load_at_end = os.getloadavg()

    from bench.report import markdown_table, with_floor_ratios, with_scaling_ratios

    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "quick": args.quick,
        "workers": args.workers,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "load_average": {"start": list(load_at_start), "end": list(load_at_end)},
        "plan": plan,
        "hasher": _hasher_parameters(),
        "packages_beside_the_lock": _packages_beside_the_lock(),
        "deep_page_path": deep_path,
        "worker_rss_mb_start": rss_start,
        "worker_rss_mb_final": rss_final,
        "results": with_floor_ratios(results, plan_scenarios),
        "list_scaling_seed_seconds": seed_seconds,
        "list_scaling": with_scaling_ratios(scaling),
    }
    out_dir = QUICK_RESULTS_DIR if args.quick else RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    threads = f"-threads{args.threads}" if args.threads > 1 else ""
    out_file = out_dir / f"{datetime.now(UTC):%Y-%m-%d}-{report['commit']}{threads}.json"
    out_file.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(markdown_table(report))
    print(f"\nwritten to {out_file.relative_to(ROOT)}")
    _clean_up(environment, work_dir)


def _scenario_rows(runner, plan_scenarios, plan, queries) -> list[dict]:
    """Every scenario's rows, in the table's order: the rounds, then each other scenario
    once at the rounds' connection count, then every API scenario once at the others."""
    from bench.rounds import interleaved_rounds, summarized

    first, *others = plan["connections"]
    in_rounds = [scenario for scenario in plan_scenarios if scenario.in_rounds]
    _say(f"{plan['rounds']} interleaved rounds of {len(in_rounds)} scenarios at c={first}")
    measured = dict(
        zip(
            [(scenario.name, first) for scenario in in_rounds],
            interleaved_rounds(in_rounds, plan["rounds"], lambda s: runner.measure(s, first)),
            strict=True,
        )
    )
    for connections in [first, *others]:
        for scenario in plan_scenarios:
            done = (scenario.name, connections) in measured
            if done or (connections != first and scenario.is_floor):
                continue
            measured[scenario.name, connections] = [runner.measure(scenario, connections)]
    return [
        {
            "scenario": scenario.name,
            "method": scenario.method,
            "path": scenario.path,
            "script": scenario.script,
            "connections": connections,
            **summarized(measured[scenario.name, connections]),
            "queries": queries.get(scenario.name),
        }
        for scenario in plan_scenarios
        for connections in plan["connections"]
        if (scenario.name, connections) in measured
    ]


def _list_scaling(runner, plan) -> tuple[list[dict], float]:
    """The scaling table's rows: each owner's first page, cold, in interleaved rounds."""
    from bench.queries import cold_statements_sent
    from bench.rounds import interleaved_rounds, summarized
    from bench.scenarios import scaling_scenario
    from bench.seed import scaling_seed

    sizes = plan["scaling_items"]
    _say(f"seeding owners of {', '.join(f'{size:,}' for size in sizes)} items")
    started = time.monotonic()
    owners = scaling_seed(sizes)
    _vacuum_analyze()
    seed_seconds = round(time.monotonic() - started, 1)
    _say(f"seeded and analyzed in {seed_seconds} s")
    subjects = [(owner, scaling_scenario(owner.items)) for owner in owners]
    connections = plan["connections"][0]
    measured = interleaved_rounds(
        subjects,
        plan["rounds"],
        lambda subject: runner.measure(
            subject[1],
            connections,
            token=subject[0].access_token,
            warmup=plan["scaling_warmup"],
            seconds=plan["scaling_seconds"],
        ),
    )
    rows = [
        {
            "items": owner.items,
            "scenario": scenario.name,
            "path": scenario.path,
            "script": scenario.script,
            "connections": connections,
            **summarized(measurements),
            "queries": cold_statements_sent(scenario, owner.access_token),
        }
        for (owner, scenario), measurements in zip(subjects, measured, strict=True)
    ]
    return rows, seed_seconds


@dataclass
class _Runner:
    """Runs one scenario with wrk: a warm-up, then the measured run."""

    wrk: str
    port: int
    plan: dict
    wrk_env: dict
    work_dir: Path
    data: object  # bench.seed.BenchData
    master_pid: int

    def measure(
        self,
        scenario,
        connections: int,
        *,
        token: str | None = None,
        warmup: float | None = None,
        seconds: float | None = None,
    ) -> dict:
        from bench.seed import refresh_tokens_write
        from bench.wrk import run_wrk

        url = f"http://127.0.0.1:{self.port}{scenario.path}"
        env = dict(self.wrk_env)
        if token is None and scenario.writer:
            token = self.data.writer_token
        if token is not None:
            env["BENCH_TOKEN"] = token
        env.update(scenario.env)
        phases = (
            ("warm-up", self.plan["warmup"] if warmup is None else warmup),
            ("run", self.plan["seconds"] if seconds is None else seconds),
        )
        for phase, duration in phases:
            # cold.lua's parameter: unique across runs, as the cache keeps what it saw.
            env["BENCH_RUN"] = secrets.token_hex(6)
            if scenario.script == "refresh.lua":
                tokens = self.work_dir / f"tokens-{connections}-{phase}.txt"
                count = int(MAX_REFRESH_RATE * duration)
                refresh_tokens_write(user=self.data.user, count=count, path=tokens)
                env["BENCH_TOKENS"] = str(tokens)
            result = run_wrk(
                self.wrk,
                url=url,
                script=scenario.script,
                connections=connections,
                seconds=duration,
                env=env,
            )
        _say(
            f"{scenario.name:<38} c={connections:<3} {result.requests_per_second:9.1f} req/s  "
            f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  "
            f"non-2xx {result.non_2xx}"
        )
        return {
            "requests_per_second": result.requests_per_second,
            "p50_ms": result.p50_ms,
            "p99_ms": result.p99_ms,
            "requests": result.requests,
            "non_2xx": result.non_2xx,
            "socket_errors": result.errors,
            "worker_rss_mb": _worker_rss_mb(self.master_pid),
        }


def _vacuum_analyze() -> None:
    """Bulk-loaded tables have neither planner statistics nor a visibility map (which
    index-only scans, such as the list floor's COUNT, need) until autovacuum has visited
    them; a production database that has lived a while has both."""
    from django.db import connection

    with connection.cursor() as cursor:
        # Longer than the production statement timeout allows a request, once a million
        # rows are in.
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("RESET statement_timeout")


def _clean_up(environment: dict[str, str], work_dir: Path) -> None:
    """What a run leaves behind: its database, its Redis database, its scratch folders
    (a failed run keeps them for a look; the next run starts afresh anyway)."""
    import shutil

    from django.core.cache import cache
    from django.db import connections

    cache.clear()
    connections.close_all()
    _drop_database(environment["DATABASE_URL"])
    for folder in (work_dir, environment["MEDIA_ROOT"], environment["STATIC_ROOT"]):
        shutil.rmtree(folder, ignore_errors=True)
    _say("dropped the bench database, emptied its Redis database and its scratch folders")


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
        # Each cold request keeps its page in Redis, under a URL nothing asks for again:
        # at hundreds a second, production's 300 s would hold gigabytes. A shorter life
        # costs a request nothing (the same SET) and a warm-cache run one miss per 20 s.
        "RESPONSE_CACHE_SECONDS": "20",
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
    _drop_database(url)
    _on_server(url, 'CREATE DATABASE "{name}"')


def _drop_database(url: str) -> None:
    _on_server(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _on_server(url: str, statement: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(statement.format(name=name))


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


def _packages_beside_the_lock() -> list[str]:
    """Installed distributions that ``requirements-dev.lock`` does not pin, or pins at
    another version: what the workers may import beyond a clean install's (PyJWT, for one,
    loads cryptography's OpenSSL bindings, about 12 MB of each worker, when installed)."""
    import importlib.metadata
    import re

    def normalized(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    lock = (ROOT / "requirements-dev.lock").read_text()
    locked = {
        normalized(name): version
        for name, version in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", lock, re.M)
    }
    installed = {
        normalized(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
    }
    return sorted(
        f"{name}=={version}"
        for name, version in installed.items()
        if locked.get(name) != version and name not in {"pip", "setuptools", "wheel"}
    )


def _hasher_parameters() -> dict:
    """The hasher's costs, and how many logins a second it allows on this machine at most:
    one password check per login, on every CPU at once, and nothing else.

    Measured with every CPU checking at once, as a loaded server does: memory-hard
    checks side by side share the memory bandwidth, and one check alone runs faster
    than each of two together (``check_ms`` against ``check_ms_all_cpus``).
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from django.contrib.auth.hashers import get_hasher

    # Read back from a real hash, which states its own variant and costs:
    # argon2$argon2id$v=19$m=7168,t=5,p=1$<salt>$<hash>
    hasher = get_hasher("default")
    encoded = hasher.encode("benchmark", hasher.salt())
    _, variant, _, costs, *_ = encoded.split("$")
    cost = dict(part.split("=") for part in costs.split(","))
    checks, cpus = 10, os.cpu_count() or 1
    check_ms = _password_checks_ms(encoded, checks)
    with ProcessPoolExecutor(cpus, mp_context=get_context("fork")) as pool:
        pool.submit(_password_checks_ms, encoded, 1).result()  # the processes started
        side_by_side = list(pool.map(_password_checks_ms, [encoded] * cpus, [checks] * cpus))
    check_ms_all_cpus = sum(side_by_side) / len(side_by_side)
    return {
        "algorithm": hasher.algorithm,
        "variant": variant,
        "memory_cost_kib": int(cost["m"]),
        "time_cost": int(cost["t"]),
        "parallelism": int(cost["p"]),
        "check_ms": round(check_ms, 2),
        "check_ms_all_cpus": round(check_ms_all_cpus, 2),
        "logins_per_second_ceiling": round(cpus * 1000 / check_ms_all_cpus, 1),
    }


def _password_checks_ms(encoded: str, checks: int) -> float:
    """Milliseconds one check of ``encoded`` takes, over ``checks`` of them."""
    from django.contrib.auth.hashers import check_password

    started = time.perf_counter()
    for _ in range(checks):
        check_password("benchmark", encoded)
    return (time.perf_counter() - started) / checks * 1000


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
