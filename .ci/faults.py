"""Real faults under load: what clients see and what is kept when a backing service fails.

    python .ci/faults.py            (run by .ci/run; needs nginx, redis-server, PostgreSQL 15)

It starts its own PostgreSQL cluster, Redis, SeaweedFS S3 server, SMTP sink, task worker,
gunicorn and nginx (deploy/nginx/keel.conf) on free loopback ports, so it never touches
a service it did not start. A bounded mixed load (list, retrieve, create, patch, upload,
download, login, password-reset emails) runs through nginx while, in turn, it restarts
PostgreSQL, stops Redis, pauses Redis, kills the S3 server, SIGKILLs a gunicorn worker,
SIGKILLs the task worker mid-task and holds slow-body connections open. Then it checks:

- no 500 at any time, and no answer other than 2xx/3xx outside a fault's window;
- in a window (fault start to recovery + 5 s), failures are only 503 problem+json with
  Retry-After;
- /health/live answered within 1 s throughout;
- every create, patch and upload that got a 2xx is in the database, every stored file's
  object is in the bucket and every object has its row;
- every queued email was delivered exactly once, and no task is left RUNNING.

It prints a table of what it did and saw, and stops everything it started even when it
fails (services are its children, in their own sessions, holding none of its pipes).
"""

import contextlib
import hashlib
import os
import random
import signal
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import harness
from harness import Answer, Stack, Verdict, finish, multipart, print_table, wait_until

PASSWORD = "fault test passphrase 2026"
LOAD_THREADS = 4
# Each load thread pauses this long between requests: the machine stays short of
# saturation, so a slow answer means a fault, not a queue (2 cores run all of it).
THINK_SECONDS = 0.04
GUNICORN_WORKERS = 2
TASK_LEASE_SECONDS = 4
# After a service is back, clients may see errors this long (the breakers probe every 5 s).
RECOVERY_GRACE = 5.0
# Load between faults: the grace, then a stretch that must be free of errors.
SETTLE = 8.0
RUN_DEADLINE = 300.0
MAX_REQUESTS = 200_000
HEALTH_LIMIT = 1.0
# This shared 2-core machine stalls now and then for a second or two whatever runs on
# it (a checkpoint's fsync, a neighbour): 99% of probes must meet HEALTH_LIMIT, none may
# fail, and none may wait longer than this (a starved or hung worker pool would).
HEALTH_STALL_LIMIT = 5.0


# --- the services, each a child of this script -------------------------------------------


class Services(Stack):
    """PostgreSQL, Redis, S3, SMTP, a task worker, gunicorn and nginx for the run."""

    def __init__(self):
        super().__init__("keel-faults-")

    def database_url(self, name: str = "pg", database: str = "keel_faults") -> str:
        return super().database_url(name, database)

    def keel_env(self, **overrides: str) -> dict[str, str]:
        return super().keel_env(
            TASK_LEASE_SECONDS=str(TASK_LEASE_SECONDS),
            GUNICORN_WORKERS=str(GUNICORN_WORKERS),
            **overrides,
        )

    def start(self) -> None:
        self.smtp.start()
        self.start_postgres("pg")
        self.createdb("pg", "keel_faults")
        self.start_redis()
        self.start_s3()
        self.manage("migrate", "--noinput", "-v0")
        self.start_task_worker()
        self.start_gunicorn("gunicorn", self.keel_env())
        self.start_nginx(["gunicorn"])

    def restart_postgres(self) -> None:
        self.pg_ctl("pg", "restart", "-m", "fast")

    def gunicorn_workers(self) -> list[int]:
        return self.children_of("gunicorn")


def request(services: Services, method: str, path: str, **kwargs) -> Answer:
    """One request through nginx."""
    return harness.request(services.port("nginx"), method, path, **kwargs)


# --- the load --------------------------------------------------------------------------------


@dataclass
class Client:
    """One user's traffic, and what the server said it kept."""

    email: str
    token: str = ""
    items: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # id -> sha256
    # item id -> [(title sent, status)], in the order sent
    patches: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


class Load:
    def __init__(self, services: Services):
        self.services = services
        self.answers: list[Answer] = []
        self.health: list[Answer] = []
        # recipient -> password resets answered 202, and answered otherwise (an answer lost
        # with a killed worker may still have queued its email)
        self.resets: dict[str, int] = {}
        self.unanswered_resets: dict[str, int] = {}
        self.registered: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.clients: list[Client] = []
        self.sent = 0

    def record(self, answer: Answer) -> Answer:
        with self.lock:
            self.answers.append(answer)
            self.sent += 1
            if self.sent >= MAX_REQUESTS:
                self.stop.set()
        return answer

    def call(self, method, path, op, **kwargs) -> Answer:
        return self.record(request(self.services, method, path, op=op, **kwargs))

    def prepare(self) -> None:
        for number in range(LOAD_THREADS):
            client = Client(f"faults-{number}-{uuid.uuid4().hex[:6]}@example.com")
            body = {"email": client.email, "password": PASSWORD}
            registered = request(self.services, "POST", "/api/v1/auth/register/", body=body)
            if registered.status != 201:
                raise RuntimeError(f"could not register {client.email}: {registered.status}")
            self.registered.append(client.email)
            login = request(self.services, "POST", "/api/v1/auth/login/", body=body)
            client.token = login.body["access"]
            self.clients.append(client)

    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.drive, args=(client,), daemon=True)
            for client in self.clients
        ]
        threads += [
            threading.Thread(target=self.probe_health, daemon=True),
            threading.Thread(target=self.ask_for_resets, daemon=True),
        ]
        for thread in threads:
            thread.start()
        return threads

    def drive(self, client: Client) -> None:
        chooser = random.Random(client.email)
        operations = [
            (self.list_items, 3), (self.retrieve, 3), (self.create, 2), (self.patch, 2),
            (self.upload, 1), (self.download, 1), (self.login, 0.2),
        ]  # fmt: skip
        actions, weights = zip(*operations, strict=True)
        while not self.stop.wait(THINK_SECONDS):
            chooser.choices(actions, weights)[0](client, chooser)

    def list_items(self, client: Client, _chooser) -> None:
        self.call("GET", "/api/v1/items/", "list", token=client.token)

    def retrieve(self, client: Client, chooser) -> None:
        if client.items:
            item = chooser.choice(client.items)
            self.call("GET", f"/api/v1/items/{item}/", "retrieve", token=client.token)

    def create(self, client: Client, _chooser) -> None:
        answer = self.call(
            "POST", "/api/v1/items/", "create", body={"title": "fault"}, token=client.token
        )
        if answer.status == 201:
            client.items.append(answer.body["id"])

    def patch(self, client: Client, chooser) -> None:
        if not client.items:
            return
        item, title = chooser.choice(client.items), f"patched {uuid.uuid4().hex[:12]}"
        answer = self.call(
            "PATCH", f"/api/v1/items/{item}/", "patch", body={"title": title}, token=client.token
        )
        client.patches.setdefault(item, []).append((title, answer.status))

    def upload(self, client: Client, _chooser) -> None:
        content = f"fault test file {uuid.uuid4()}\n".encode() * 20
        raw, content_type = multipart("faults.txt", content)
        answer = self.call(
            "POST", "/api/v1/files/", "upload", raw=raw, token=client.token,
            headers={"Content-Type": content_type},
        )  # fmt: skip
        if answer.status == 201:
            client.files[answer.body["id"]] = hashlib.sha256(content).hexdigest()

    def download(self, client: Client, chooser) -> None:
        if client.files:
            stored = chooser.choice(list(client.files))
            self.call("GET", f"/api/v1/files/{stored}/download/", "download", token=client.token)

    def login(self, client: Client, _chooser) -> None:
        body = {"email": client.email, "password": PASSWORD}
        answer = self.call("POST", "/api/v1/auth/login/", "login", body=body)
        if answer.status == 200:
            client.token = answer.body["access"]

    def ask_for_resets(self) -> None:
        """One password-reset email every 0.7 s, round the users."""
        number = 0
        while not self.stop.wait(0.7):
            recipient = self.registered[number % len(self.registered)]
            answer = self.call(
                "POST", "/api/v1/auth/password/reset/", "reset", body={"email": recipient}
            )
            counts = self.resets if answer.status == 202 else self.unanswered_resets
            with self.lock:
                counts[recipient] = counts.get(recipient, 0) + 1
            number += 1

    def probe_health(self) -> None:
        while not self.stop.wait(0.25):
            answer = request(self.services, "GET", "/health/live", op="live", timeout=30)
            with self.lock:
                self.health.append(answer)


# --- the faults --------------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    started: float = 0.0
    recovered: float = 0.0
    note: str = ""
    # Slow clients are no outage: everything must go on answering normally.
    outage: bool = True

    @property
    def window(self) -> tuple[float, float]:
        return self.started, self.recovered + RECOVERY_GRACE


def restart_postgres(services: Services, fault: Fault) -> None:
    services.restart_postgres()
    fault.note = "pg_ctl restart -m fast"


def _down_for_a_while(services: Services, name: str, start) -> None:
    services.kill(name)
    time.sleep(4)
    start()


def stop_redis(services: Services, fault: Fault) -> None:
    _down_for_a_while(services, "redis", services.start_redis)
    fault.note = "SIGKILL, 4 s down, started again (empty)"


def pause_redis(services: Services, fault: Fault) -> None:
    services.redis("CLIENT", "PAUSE", "5000")
    time.sleep(5)
    wait_until(services.redis_answers, 10, "Redis to answer again")
    fault.note = "CLIENT PAUSE 5000"


def kill_s3(services: Services, fault: Fault) -> None:
    _down_for_a_while(services, "s3", services.start_s3)
    fault.note = "SIGKILL, 4 s down, started again on its data"


def hang_s3(services: Services, fault: Fault) -> None:
    """The bucket accepts connections but answers nothing (SIGSTOP) for 8 s."""
    server = services.processes["s3"]
    os.killpg(server.pid, signal.SIGSTOP)
    try:
        time.sleep(8)
    finally:
        os.killpg(server.pid, signal.SIGCONT)
    wait_until(services.s3_accepts_writes, 30, "the S3 server to answer again")
    fault.note = "SIGSTOP 8 s (connections accepted, nothing answered), SIGCONT"


def kill_gunicorn_worker(services: Services, fault: Fault) -> None:
    before = services.gunicorn_workers()
    os.kill(before[0], signal.SIGKILL)
    wait_until(
        lambda: (
            len(set(services.gunicorn_workers()) - set(before)) == 1
            and len(services.gunicorn_workers()) == GUNICORN_WORKERS
        ),
        30,
        "gunicorn to replace its worker",
    )
    fault.note = f"SIGKILL worker {before[0]}; the master started another"


def kill_task_worker(services: Services, fault: Fault) -> None:
    services.smtp.slow.set()
    running = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
    wait_until(lambda: services.sql(running)[0][0] > 0, 20, "a task to be running")
    services.kill("worker")
    services.smtp.slow.clear()
    services.start_task_worker()
    fault.note = f"SIGKILL mid-send; lease {TASK_LEASE_SECONDS} s; a new worker started"


def slow_clients(services: Services, fault: Fault) -> None:
    """2 x workers connections each sending a body one byte every 0.34 s, for 8 s."""
    sockets = []
    for _ in range(2 * GUNICORN_WORKERS):
        connection = socket.create_connection(("127.0.0.1", services.ports["nginx"]), timeout=5)
        connection.sendall(
            b"POST /api/v1/items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 118\r\n\r\n"
        )
        sockets.append(connection)
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        for connection in sockets:
            connection.sendall(b" ")
        time.sleep(0.34)
    for connection in sockets:
        connection.close()
    fault.outage = False
    fault.note = f"{len(sockets)} connections, 1 byte / 0.34 s for 8 s"


FAULTS = [
    ("PostgreSQL restart", restart_postgres),
    ("Redis stopped", stop_redis),
    ("Redis paused", pause_redis),
    ("S3 server killed", kill_s3),
    ("S3 server hangs", hang_s3),
    ("gunicorn worker SIGKILL", kill_gunicorn_worker),
    ("task worker SIGKILL", kill_task_worker),
    ("slow-body clients", slow_clients),
]


# --- judging -------------------------------------------------------------------------------


def is_outage_answer(answer: Answer) -> bool:
    return (
        answer.status == 503
        and answer.content_type.startswith("application/problem+json")
        and bool(answer.retry_after)
    )


def is_fine(answer: Answer) -> bool:
    return 200 <= answer.status < 400


def judge_answers(load: Load, faults: list[Fault], start: float, verdict: Verdict) -> None:
    outages = [f for f in faults if f.outage]

    def window_of(answer: Answer) -> Fault | None:
        # A request in flight at any moment of a window belongs to it.
        return next(
            (f for f in outages if answer.at <= f.window[1] and answer.ended >= f.window[0]),
            None,
        )

    rows = []
    phases = [Fault("baseline", start, start, "no fault", outage=False), *faults]
    for number, phase in enumerate(phases):
        until = phases[number + 1].started if number + 1 < len(phases) else float("inf")
        # An answer belongs to the phase it ended in: a fault's errors end after it began.
        mine = [a for a in load.answers if phase.started <= a.ended < until]
        unavailable = [a for a in mine if is_outage_answer(a)]
        bad = [a for a in mine if not is_fine(a) and not is_outage_answer(a)]
        late = [a for a in mine if not is_fine(a) and a.at > phase.recovered + RECOVERY_GRACE]
        late = [a for a in late if window_of(a) is None]
        last_error = max((a.at for a in mine if not is_fine(a)), default=None)
        live = [h.seconds for h in load.health if phase.started <= h.at < until]
        rows.append(
            (
                phase.name,
                f"{phase.recovered - phase.started:.1f}" if phase.outage else "-",
                len(mine),
                sum(is_fine(a) for a in mine),
                len(unavailable),
                len(bad),
                "-" if last_error is None else f"{last_error - phase.recovered:+.1f}",
                f"{max(live, default=0) * 1000:.0f}",
                phase.note,
            )
        )
        for answer in bad[:3] + late[:3]:
            print(
                f"     {phase.name}: {answer.op} -> {answer.status} {answer.code} "
                f"at {answer.at - phase.recovered:+.1f} s"
            )
        verdict.check(not bad, f"{phase.name}: every failure is a 503 problem with Retry-After")
        verdict.check(not late, f"{phase.name}: no error from {RECOVERY_GRACE:g} s after recovery")

    print_table(
        ("phase", "outage s", "requests", "2xx/3xx", "503", "other", "last error",
         "live max ms", "what was done"),
        rows,
    )  # fmt: skip
    print("(last error: seconds after the service was back; outage: fault to recovery)\n")
    server_errors = [a for a in load.answers if a.status == 500]
    verdict.check(not server_errors, f"no 500 in {len(load.answers)} answers")
    outside = [a for a in load.answers if not is_fine(a) and window_of(a) is None]
    verdict.check(not outside, "no error outside the faults' windows")

    failed = [h for h in load.health if h.status != 200]
    waits = sorted(h.seconds for h in load.health)
    p99 = waits[int(len(waits) * 0.99) - 1] if waits else 0.0
    verdict.check(
        not failed and p99 < HEALTH_LIMIT and max(waits, default=0) < HEALTH_STALL_LIMIT,
        f"/health/live: {len(load.health)} probes all 200; 99% within {HEALTH_LIMIT:g} s "
        f"({p99 * 1000:.0f} ms), the slowest {max(waits, default=0) * 1000:.0f} ms "
        f"(limit {HEALTH_STALL_LIMIT:g} s)",
    )


def judge_state(services: Services, load: Load, verdict: Verdict) -> None:
    items = dict(services.sql("SELECT id::text, title FROM items_item"))
    created = [item for client in load.clients for item in client.items]
    verdict.check(
        all(item in items for item in created),
        f"all {len(created)} items created with a 201 are stored",
    )
    patched, kept = 0, True
    for client in load.clients:
        for item, attempts in client.patches.items():
            confirmed = [i for i, (_, status) in enumerate(attempts) if status == 200]
            if not confirmed:
                continue
            patched += 1
            # The last confirmed title, or one sent after it whose answer was lost.
            allowed = {title for title, _ in attempts[confirmed[-1] :]}
            kept &= items.get(item) in allowed
    verdict.check(kept, f"the last confirmed patch of {patched} items is what is stored")

    rows = dict(
        services.sql("SELECT id::text, object_key FROM storage_storedfile WHERE status = 'active'")
    )
    uploaded = {stored for client in load.clients for stored in client.files}
    verdict.check(
        uploaded <= set(rows), f"all {len(uploaded)} files uploaded with a 201 are stored"
    )
    keys = services.s3_keys()
    verdict.check(
        all(rows[stored] in keys for stored in rows),
        f"every one of {len(rows)} stored files has its object in the bucket",
    )
    orphans = keys - set(rows.values())
    found = len(orphans)
    for _ in range(3):
        if not orphans:
            break
        # An upload whose answer was lost (its worker killed, the bucket timing out after
        # storing) leaves an object without a row; the periodic reconcile removes those.
        # (The S3 server may list a deleted object for a moment after a restart.)
        print(services.manage("storage_reconcile", "--delete", "--grace-minutes", "0"))
        time.sleep(1)
        orphans = services.s3_keys() - set(rows.values())
    verdict.check(
        not orphans,
        f"every object in the bucket has its row ({found} orphans before the reconcile, "
        f"{sorted(orphans) or 'none'} after)",
    )


def judge_tasks(services: Services, load: Load, verdict: Verdict) -> None:
    pending = (
        "SELECT count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE status IN ('READY', 'RUNNING')"
    )
    with contextlib.suppress(RuntimeError):
        wait_until(lambda: services.sql(pending)[0][0] == 0, 60, "the task queue to drain", 0.5)
    states = dict(services.sql(
        "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
    ))  # fmt: skip
    verdict.check(
        not states.get("RUNNING") and not states.get("READY"),
        f"no task left RUNNING or queued ({states})",
    )
    with services.smtp.lock:
        delivered = list(services.smtp.delivered)
    twice = len(delivered) - len(set(delivered))
    verdict.check(twice == 0, f"no email delivered twice ({len(delivered)} delivered)")
    wrong = []
    for address in load.registered:
        # Its verification email, one per reset answered 202, and perhaps one per reset
        # whose answer was lost.
        confirmed = 1 + load.resets.get(address, 0)
        possible = confirmed + load.unanswered_resets.get(address, 0)
        sent = len({digest for to, digest in delivered if to == address})
        if not confirmed <= sent <= possible:
            wrong.append(f"{address}: {sent} sent, {confirmed} to {possible} expected")
    total = len(load.registered) + sum(load.resets.values())
    verdict.check(
        not wrong, f"each of {total} emails confirmed with a 2xx was delivered {wrong or ''}"
    )


# --- the run ------------------------------------------------------------------------------


def run() -> int:
    services = Services()
    verdict = Verdict()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        print(f"starting PostgreSQL, Redis, S3, SMTP, worker, gunicorn, nginx in {services.dir}")
        services.start()
        load = Load(services)
        load.prepare()
        start = time.monotonic()
        threads = load.start()
        faults = []
        time.sleep(SETTLE)
        for name, inject in FAULTS:
            if load.stop.is_set() or time.monotonic() - start > RUN_DEADLINE:
                break
            fault = Fault(name, started=time.monotonic())
            print(f"-> {name}", flush=True)
            inject(services, fault)
            fault.recovered = time.monotonic()
            faults.append(fault)
            time.sleep(SETTLE)
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        verdict.check(len(faults) == len(FAULTS), f"all {len(FAULTS)} faults were injected")
        judge_answers(load, faults, start, verdict)
        judge_state(services, load, verdict)
        judge_tasks(services, load, verdict)
    # The report must still come out, and the services stop, whatever went wrong.
    except Exception as error:  # noqa: BLE001
        verdict.check(False, f"the run itself: {type(error).__name__}: {error}")
    return finish(services, verdict, "faults")


if __name__ == "__main__":
    sys.exit(run())
