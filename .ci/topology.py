"""Keel as it scales out, on this machine: the README's Scaling guide, run for real.

    python .ci/topology.py          (run by .ci/run; needs nginx, pgbouncer, redis-server
                                     and PostgreSQL 15's binaries)

It starts, on free loopback ports and touching no service it did not start: a PostgreSQL
15 primary and a streaming replica of it (two throwaway clusters, the replica from
``pg_basebackup -R``), PgBouncer in transaction mode in front of the primary, Redis,
SeaweedFS, an SMTP sink, two gunicorn instances of Keel (production settings,
``DB_POOLER=pgbouncer``, ``DATABASE_REPLICA_URLS``, ``NUM_PROXIES=1``) and two task
workers, behind nginx running the shipped ``deploy/nginx/keel.conf``. A small load
balancer controller routes nginx to the instances whose ``/health/ready`` answers 200,
as a Kubernetes Service or a cloud load balancer would. Then it checks:

- the end-to-end flow through nginx, a file uploaded on one instance and downloaded
  through the other, a share link, logout;
- throttles and single-use refresh tokens hold across instances;
- lists and retrieves are served by the replica, while a user's own fresh writes are
  read back at once (from the primary, on either instance);
- the statement timeout survives transaction pooling (set on the role);
- 100 queued emails are sent exactly once by the two workers together;
- a rolling restart of both instances (SIGTERM: drain, stop, start) under load loses
  no request.

It prints what it did and saw, and stops everything even when it fails.
"""

import email
import os
import re
import signal
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field

from harness import (
    Answer,
    Stack,
    Verdict,
    finish,
    multipart,
    print_table,
    request,
    wait_until,
)

PASSWORD = "topology test passphrase 2026"
INSTANCES = ("web1", "web2")
WORKERS = ("worker1", "worker2")
# The login limit per account, low enough to reach from a test; the rest are out of reach.
LOGIN_LIMIT = 5
STICKY_SECONDS = 2
DRAIN_SECONDS = float(os.environ.get("TOPOLOGY_DRAIN_SECONDS", 3))
LOAD_THREADS = 3
THINK_SECONDS = 0.03
EMAILS = 100


# --- the topology ------------------------------------------------------------------------


class Topology(Stack):
    def __init__(self):
        super().__init__("keel-topology-")
        self.routed: list[str] = []

    def keel_env(self, **overrides: str) -> dict[str, str]:
        """The instances' settings: through PgBouncer, reading from the replica."""
        scaled_out = {
            "DATABASE_URL": self.database_url("pgbouncer"),
            "DB_POOLER": "pgbouncer",
            "DATABASE_REPLICA_URLS": self.database_url("replica"),
            "DB_REPLICA_STICKY_SECONDS": str(STICKY_SECONDS),
            "THROTTLE_RATE_LOGIN_ACCOUNT": f"{LOGIN_LIMIT}/min",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_DRAIN_SECONDS": str(DRAIN_SECONDS),
        }
        return super().keel_env(**{**scaled_out, **overrides})

    def database_url(self, name: str = "pg", database: str = "keel") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port(name)}/{database}"

    def direct_env(self) -> dict[str, str]:
        """For migrations and role settings: PostgreSQL itself, as the README says."""
        return self.keel_env(DATABASE_URL=self.database_url("pg"), DB_POOLER="")

    def start(self) -> None:
        self.smtp.start()
        self.start_postgres("pg")
        self.createdb("pg", "keel")
        self.start_replica("replica", primary="pg")
        self.start_pgbouncer("pg")
        self.start_redis()
        self.start_s3()
        self.manage("migrate", "--noinput", "-v0", env=self.direct_env())
        self.manage("db_statement_timeout", "--apply", env=self.direct_env())
        self.manage("collectstatic", "--noinput", "-v0")
        for worker in WORKERS:
            self.start_task_worker(worker, env=self.keel_env())
        for name in INSTANCES:
            self.start_gunicorn(name, self.keel_env())
        self.start_nginx(list(INSTANCES))
        self.routed = list(INSTANCES)

    def route(self, ready: list[str]) -> None:
        if ready != self.routed:
            self.reload_nginx(ready)
            self.routed = ready


class LoadBalancer:
    """Routes nginx to the instances whose readiness probe answers 200, every 0.2 s."""

    def __init__(self, topology: Topology):
        self.topology = topology
        self.stop = threading.Event()
        self.events: list[tuple[float, str, int]] = []  # (when, instance, readiness status)
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        last: dict[str, int] = {}
        while not self.stop.wait(0.2):
            ready = []
            for name in INSTANCES:
                status = request(
                    self.topology.port(name), "GET", "/health/ready", timeout=1
                ).status
                if status != last.get(name):
                    self.events.append((time.monotonic(), name, status))
                    last[name] = status
                if status == 200:
                    ready.append(name)
            self.topology.route(ready)

    def wait_routed(self, names: list[str], timeout: float = 10) -> None:
        wait_until(lambda: self.topology.routed == names, timeout, f"nginx to route to {names}")


# --- clients -----------------------------------------------------------------------------


@dataclass
class User:
    email: str
    access: str = ""
    refresh: str = ""
    items: list[str] = field(default_factory=list)


def call(topology: Topology, method: str, path: str, *, via: str = "nginx", **kwargs) -> Answer:
    return request(topology.port(via), method, f"/api/v1{path}", **kwargs)


def emailed_link(topology: Topology, recipient: str) -> dict[str, str]:
    """uid and token of the newest link emailed to ``recipient``."""

    def found():
        with topology.smtp.lock:
            messages = [text for to, text in topology.smtp.messages if to == recipient]
        for text in reversed(messages):
            for part in email.message_from_bytes(text).walk():
                if part.get_content_type() == "text/plain":
                    plain = part.get_payload(decode=True).decode()
                    if match := re.search(r"uid=([^&\s]+)&token=(\S+)", plain):
                        return {"uid": match[1], "token": match[2]}
        return None

    wait_until(found, 30, f"an email to {recipient}", every=0.2)
    return found()


def register(topology: Topology, via: str = "nginx") -> User:
    user = User(f"topology-{uuid.uuid4().hex[:10]}@example.com")
    body = {"email": user.email, "password": PASSWORD}
    answer = call(topology, "POST", "/auth/register/", body=body, via=via)
    if answer.status != 201:
        raise RuntimeError(f"register answered {answer.status} {answer.code}")
    return user


def login(topology: Topology, user: User, via: str = "nginx") -> Answer:
    answer = call(
        topology, "POST", "/auth/login/", body={"email": user.email, "password": PASSWORD}, via=via
    )
    if answer.status == 200:
        user.access, user.refresh = answer.body["access"], answer.body["refresh"]
    return answer


# --- the checks ------------------------------------------------------------------------------


def check_flow(topology: Topology, verdict: Verdict) -> None:
    """Register, verify, log in, items, a file across instances, a share link, log out."""
    user = register(topology)
    link = emailed_link(topology, user.email)
    verified = call(topology, "POST", "/auth/email/verify/", body=link)
    verdict.check(verified.status == 200, "flow: the emailed link verifies the address")
    verdict.check(login(topology, user).status == 200, "flow: login through nginx")
    token = user.access

    created = call(topology, "POST", "/items/", body={"title": "topology"}, token=token)
    item = f"/items/{created.body['id']}/"
    patched = call(topology, "PATCH", item, body={"is_completed": True}, token=token)
    listed = call(topology, "GET", "/items/?count=true", token=token)
    deleted = call(topology, "DELETE", item, token=token)
    gone = call(topology, "GET", item, token=token)
    verdict.check(
        (created.status, patched.status, listed.status, deleted.status, gone.status)
        == (201, 200, 200, 204, 404)
        and listed.body["count"] == 1,
        "flow: an item created, completed, listed, deleted, then 404",
    )

    content = b"uploaded on one instance, downloaded through the other\n" * 50
    raw, content_type = multipart("across.txt", content)
    uploaded = call(
        topology, "POST", "/files/", raw=raw, token=token, via="web1",
        headers={"Content-Type": content_type},
    )  # fmt: skip
    download = call(topology, "GET", f"/files/{uploaded.body['id']}/download/", token=token,
                    via="web2")  # fmt: skip
    verdict.check(
        uploaded.status == 201 and download.status == 302
        and fetch(download.headers["Location"]) == content,
        "flow: a file uploaded on web1 is downloaded through web2 with the same bytes",
    )  # fmt: skip
    shared = call(topology, "POST", f"/files/{uploaded.body['id']}/links/", body={}, token=token)
    verdict.check(
        shared.status == 201 and fetch(shared.body["url"]) == content,
        "flow: a share link serves the file without a token",
    )

    out = call(topology, "POST", "/auth/logout/", body={"refresh": user.refresh})
    dead = call(topology, "POST", "/auth/token/refresh/", body={"refresh": user.refresh})
    verdict.check(
        out.status == 204 and dead.status == 401, "flow: logout, and the refresh token is dead"
    )


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own S3 server)
        return response.read()


def check_shared_state(topology: Topology, verdict: Verdict) -> None:
    user = register(topology)
    login(topology, user, via="web1")
    rotated = call(topology, "POST", "/auth/token/refresh/", body={"refresh": user.refresh},
                   via="web1")  # fmt: skip
    reused = call(topology, "POST", "/auth/token/refresh/", body={"refresh": user.refresh},
                  via="web2")  # fmt: skip
    verdict.check(
        rotated.status == 200 and reused.status == 401,
        "a refresh token rotated on web1 is refused on web2",
    )

    victim = register(topology)
    wrong = {"email": victim.email, "password": "not the password"}
    statuses = [
        call(topology, "POST", "/auth/login/", body=wrong, via=INSTANCES[n % 2]).status
        for n in range(LOGIN_LIMIT + 1)
    ]
    verdict.check(
        statuses == [401] * LOGIN_LIMIT + [429],
        f"the login limit ({LOGIN_LIMIT}/min an account) counts across instances: {statuses}",
    )


def check_replica(topology: Topology, verdict: Verdict) -> None:
    """With replay paused, reads that see a new item came from the primary, else the replica."""
    user = register(topology)
    login(topology, user)
    replica = topology.database_url("replica")
    topology.sql("SELECT pg_wal_replay_pause()", url=replica)
    try:
        created = call(topology, "POST", "/items/", body={"title": "fresh"}, token=user.access,
                       via="web1")  # fmt: skip
        item = f"/items/{created.body['id']}/"
        own = [call(topology, "GET", item, token=user.access, via=via).status for via in INSTANCES]
        verdict.check(
            created.status == 201 and own == [200, 200],
            f"a user's own fresh write is read back at once, on either instance: {own}",
        )
        time.sleep(STICKY_SECONDS + 0.5)
        # A query the response cache has not seen (it kept the reads above, from the
        # primary): these come from the database the router picks.
        later = call(topology, "GET", f"{item}?after=window", token=user.access)
        listed = call(topology, "GET", "/items/?count=true", token=user.access)
        verdict.check(
            later.status == 404 and listed.body["count"] == 0,
            "after the sticky window, retrieve and list are served by the (paused) replica",
        )
    finally:
        topology.sql("SELECT pg_wal_replay_resume()", url=replica)
    caught_up = wait_until(
        lambda: call(topology, "GET", f"{item}?after=replay", token=user.access).status == 200,
        10,
        "replay",
    )
    verdict.check(bool(caught_up), "once the replica replays, it serves the item too")
    listed = call(topology, "GET", "/items/?count=true", token=user.access)
    verdict.check(
        listed.body["count"] == 1,
        "a page read from a lagging replica was not kept by the response cache",
    )


def check_statement_timeout(topology: Topology, verdict: Verdict) -> None:
    script = (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SHOW statement_timeout')\n"
        "    print(cursor.fetchone()[0])\n"
    )
    shown = topology.manage("shell", "-c", script, env=topology.keel_env()).split()[-1]
    verdict.check(
        shown == "10s",
        f"through PgBouncer (transaction mode) the role's statement timeout holds: {shown}",
    )


def check_emails_once(topology: Topology, verdict: Verdict) -> None:
    """Half verification emails (registrations), half password resets: sent exactly once."""
    with topology.smtp.lock:
        before = len(topology.smtp.delivered)
    users = [register(topology) for _ in range(EMAILS // 2)]
    for user in users:
        answer = call(topology, "POST", "/auth/password/reset/", body={"email": user.email})
        if answer.status != 202:
            raise RuntimeError(f"password reset answered {answer.status}")
    addresses = {user.email for user in users}

    def sent():
        with topology.smtp.lock:
            return [m for m in topology.smtp.delivered[before:] if m[0] in addresses]

    with_time = wait_until(lambda: len(sent()) >= EMAILS, 90, f"{EMAILS} emails", every=0.5)
    time.sleep(2)  # a task run twice would send its email again by now
    delivered = sent()
    verdict.check(
        bool(with_time) and len(delivered) == len(set(delivered)) == EMAILS,
        f"{EMAILS} queued emails were sent exactly once ({len(delivered)} sent, "
        f"{len(delivered) - len(set(delivered))} twice)",
    )
    workers = topology.sql(
        "SELECT count(DISTINCT worker) FROM django_tasks_database_dbtaskresult, "
        "jsonb_array_elements_text(worker_ids) AS worker"
    )[0][0]
    verdict.check(workers == len(WORKERS), f"both task workers sent some ({workers} did)")


# --- the rolling restart ---------------------------------------------------------------------


class Load:
    """Users listing, reading, creating and patching items through nginx."""

    def __init__(self, topology: Topology, users: list[User]):
        self.topology = topology
        self.users = users
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.drive, args=(u,), daemon=True) for u in users]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def drive(self, user: User) -> None:
        number = 0
        while not self.stop.wait(THINK_SECONDS):
            number += 1
            if number % 4 == 0 or not user.items:
                answer = call(self.topology, "POST", "/items/", body={"title": f"load {number}"},
                              token=user.access, op="create")  # fmt: skip
                if answer.status == 201:
                    user.items.append(answer.body["id"])
            elif number % 4 == 1:
                answer = call(self.topology, "GET", "/items/", token=user.access, op="list")
            elif number % 4 == 2:
                answer = call(self.topology, "GET", f"/items/{user.items[-1]}/",
                              token=user.access, op="retrieve")  # fmt: skip
            else:
                body = {"title": f"patched {number}"}
                answer = call(self.topology, "PATCH", f"/items/{user.items[0]}/", body=body,
                              token=user.access, op="patch")  # fmt: skip
            with self.lock:
                self.answers.append(answer)


def roll(topology: Topology, balancer: LoadBalancer, name: str) -> tuple:
    """SIGTERM one instance, see it drain and stop, start it again, and see it routed."""
    master = topology.processes[name]
    sent = time.monotonic()
    master.send_signal(signal.SIGTERM)
    wait_until(lambda: name not in topology.routed, DRAIN_SECONDS + 2, f"{name} out of nginx")
    out = time.monotonic()
    # Draining: it still serves (liveness) while readiness tells the balancer to leave.
    live = topology.status_at(name, "/health/live")
    ready = topology.status_at(name, "/health/ready")
    code = master.wait(timeout=60)
    stopped = time.monotonic()
    topology.processes.pop(name)
    topology.start_gunicorn(name, topology.keel_env())
    balancer.wait_routed(list(INSTANCES))
    back = time.monotonic()
    return (name, f"{out - sent:.1f}", f"{live}/{ready}", f"{stopped - sent:.1f}", code,
            f"{back - sent:.1f}")  # fmt: skip


def check_rolling_restart(topology: Topology, balancer: LoadBalancer, verdict: Verdict) -> None:
    users = []
    for _ in range(LOAD_THREADS):
        user = register(topology)
        login(topology, user)
        users.append(user)
    load = Load(topology, users)
    load.start()
    rows = []
    try:
        time.sleep(3)
        for name in INSTANCES:
            rows.append(roll(topology, balancer, name))
            time.sleep(3)
    finally:
        load.finish()
    print_table(("instance", "out of nginx s", "live/ready while draining", "stopped s",
                 "exit", "routed again s"), rows)  # fmt: skip
    print("(seconds after SIGTERM)\n")
    verdict.check(
        all(row[2] == "200/503" and row[4] == 0 for row in rows),
        "each instance, on SIGTERM, answered readiness 503 while still serving, then exited 0",
    )
    failed = [a for a in load.answers if not 200 <= a.status < 300]
    by_status: dict[int, int] = {}
    for answer in failed:
        by_status[answer.status] = by_status.get(answer.status, 0) + 1
    verdict.check(
        not failed,
        f"a rolling restart of both instances under load: {len(load.answers)} requests, "
        f"{len(failed)} failed {by_status or ''}",
    )


# --- the run ------------------------------------------------------------------------------


def run() -> int:
    topology = Topology()
    verdict = Verdict()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    balancer = LoadBalancer(topology)
    try:
        print(
            "starting PostgreSQL primary + replica, PgBouncer, Redis, S3, SMTP, 2 workers, "
            f"2 gunicorn instances, nginx in {topology.dir}",
            flush=True,
        )
        started = time.monotonic()
        topology.start()
        balancer.thread.start()
        balancer.wait_routed(list(INSTANCES))
        print(f"up in {time.monotonic() - started:.0f} s", flush=True)
        for check in (check_flow, check_shared_state, check_replica, check_statement_timeout,
                      check_emails_once):  # fmt: skip
            check(topology, verdict)
        check_rolling_restart(topology, balancer, verdict)
    # The report must still come out, and the services stop, whatever went wrong.
    except Exception as error:  # noqa: BLE001
        verdict.check(False, f"the run itself: {type(error).__name__}: {error}")
    finally:
        balancer.stop.set()
    return finish(topology, verdict, "topology")


if __name__ == "__main__":
    sys.exit(run())
