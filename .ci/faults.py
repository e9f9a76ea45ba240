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
import glob
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, every: float = 0.1) -> float:
    """Poll until ``predicate()`` is true; returns when it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return time.monotonic()
        time.sleep(every)
    raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")


# --- the services, each a child of this script -------------------------------------------


class Services:
    """Everything the run needs, on free loopback ports under one scratch directory."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="keel-faults-"))
        self.dir.chmod(0o755)
        self.logs = self.dir / "logs"
        self.logs.mkdir()
        self.ports = {name: free_port() for name in ("pg", "redis", "gunicorn", "nginx")}
        self.s3_ports = {name: free_port() for name in S3_PORT_FLAGS}
        self.processes: dict[str, subprocess.Popen] = {}
        self.pg_bin = sorted(glob.glob("/usr/lib/postgresql/15/bin"))[-1]
        self.pg_data = self.dir / "pg"
        self.smtp = SmtpSink()
        self.bucket = "keel-faults"

    # processes

    def spawn(
        self, name: str, argv: list[str], env: dict | None = None, *, yielding: bool = False
    ) -> subprocess.Popen:
        """Start a child; ``yielding`` ones run at a lower CPU priority.

        On this 2-core machine every service shares the CPU with the app under test: the
        task worker's and the S3 server's start-up (a second of CPU each) would otherwise
        starve gunicorn, which on separate machines in production they never could.
        """
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        if yielding:
            argv = ["nice", "-n", "10", *argv]
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
        log.close()
        self.processes[name] = process
        return process

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

    # PostgreSQL: a throwaway cluster, owned by the postgres user when run as root

    def _as_postgres(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    def _pg_ctl(self, *args: str) -> None:
        options = f"-p {self.ports['pg']} -k {self.pg_data} -c listen_addresses=127.0.0.1"
        subprocess.run(
            self._as_postgres(
                [f"{self.pg_bin}/pg_ctl", "-D", str(self.pg_data), "-w", "-t", "60",
                 "-l", str(self.pg_data / "server.log"), "-o", options, *args]
            ),
            check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, close_fds=True, cwd=self.dir,
        )  # fmt: skip

    def start_postgres(self) -> None:
        self.pg_data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.pg_data, "postgres", "postgres")
        subprocess.run(
            self._as_postgres(
                [f"{self.pg_bin}/initdb", "-D", str(self.pg_data), "-U", "postgres",
                 "-A", "trust", "--no-sync"]
            ),
            check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, close_fds=True,
            cwd=self.dir,
        )  # fmt: skip
        self._pg_ctl("start")

    def restart_postgres(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def stop_postgres(self) -> None:
        if (self.pg_data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._pg_ctl("stop", "-m", "immediate")

    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports['pg']}/keel_faults"

    def sql(self, query: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url().replace("postgres://", "postgresql://")) as db:
            return db.execute(query).fetchall()

    # Redis

    def start_redis(self) -> None:
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.ports["redis"]), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
        )  # fmt: skip
        wait_until(self.redis_answers, 10, "Redis")

    def redis(self, *command: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.ports["redis"]), *command],
            capture_output=True, text=True, timeout=5, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        return result.stdout.strip()

    def redis_answers(self) -> bool:
        return self.redis("PING") == "PONG"

    # SeaweedFS S3

    def start_s3(self) -> None:
        flags = [f"-{flag}={self.s3_ports[flag]}" for flag in S3_PORT_FLAGS]
        (self.dir / "s3").mkdir(exist_ok=True)
        self.spawn(
            "s3",
            [str(ROOT / ".venv" / "bin" / "weed"), "mini", f"-dir={self.dir / 's3'}",
             "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false",
             "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
             f"-bucket={self.bucket}", *flags],
            env={**os.environ, "AWS_ACCESS_KEY_ID": S3_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET},
            yielding=True,
        )  # fmt: skip
        wait_until(self.s3_accepts_writes, 60, "the S3 server to accept writes", every=0.5)

    def s3_client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.s3_url(),
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"}, connect_timeout=2, read_timeout=5,
                retries={"max_attempts": 1}, request_checksum_calculation="when_required",
            ),
        )  # fmt: skip

    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_ports['s3.port']}"

    def s3_accepts_writes(self) -> bool:
        client = self.s3_client()
        client.put_object(Bucket=self.bucket, Key="faults-probe", Body=b"probe")
        client.delete_object(Bucket=self.bucket, Key="faults-probe")
        return True

    def s3_keys(self) -> set[str]:
        keys, pages = set(), self.s3_client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket):
            keys |= {entry["Key"] for entry in page.get("Contents", [])}
        return keys

    # Keel

    def keel_env(self) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "KEEL"))},
            "DEBUG": "false",
            "LOG_FORMAT": "json",
            "SECRET_KEY": "faults-" + uuid.uuid4().hex * 2,
            "JWT_SIGNING_KEY": "faults-jwt-" + uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": self.database_url(),
            "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.s3_url(),
            "S3_REGION": "us-east-1",
            "S3_ADDRESSING_STYLE": "path",
            "S3_CHECKSUMS_WHEN_REQUIRED": "true",
            "S3_ACCESS_KEY_ID": S3_KEY,
            "S3_SECRET_ACCESS_KEY": S3_SECRET,
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "TASK_LEASE_SECONDS": str(TASK_LEASE_SECONDS),
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "STATIC_ROOT": str(self.dir / "static"),
            "NUM_PROXIES": "1",
            "GUNICORN_BIND": f"127.0.0.1:{self.ports['gunicorn']}",
            "GUNICORN_WORKERS": str(GUNICORN_WORKERS),
            **{f"THROTTLE_RATE_{scope}": "100000/min" for scope in THROTTLE_SCOPES},
        }

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.keel_env(), check=True,
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        return result.stdout

    def start_keel(self) -> None:
        subprocess.run(
            [f"{self.pg_bin}/createdb", "-h", "127.0.0.1", "-p", str(self.ports["pg"]),
             "-U", "postgres", "keel_faults"],
            check=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        self.manage("migrate", "--noinput", "-v0")
        self.start_task_worker()
        self.spawn("gunicorn", [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c",
                                "config/gunicorn.py"], env=self.keel_env())  # fmt: skip
        self.start_nginx()
        wait_until(lambda: get("/health/ready", self)[0] == 200, 60, "Keel to be ready")

    def start_task_worker(self) -> None:
        self.spawn(
            "worker",
            [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"],
            env=self.keel_env(),
            yielding=True,
        )

    def gunicorn_workers(self) -> list[int]:
        master = self.processes["gunicorn"].pid
        return [
            int(pid)
            for pid in os.listdir("/proc")
            if pid.isdigit() and _parent_of(int(pid)) == master
        ]

    def start_nginx(self) -> None:
        shipped = (ROOT / "deploy" / "nginx" / "keel.conf").read_text()
        site = shipped.replace("server web:8000;", f"server 127.0.0.1:{self.ports['gunicorn']};")
        site = site.replace("listen 8080;", f"listen 127.0.0.1:{self.ports['nginx']};")
        temp = self.dir / "nginx"
        temp.mkdir()
        temp.chmod(0o777)  # nginx's workers run as nobody
        (temp / "keel.conf").write_text(site)
        (temp / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {temp}/nginx.pid;\n"
            f"error_log {self.logs}/nginx-error.log warn;\n"
            "events { worker_connections 512; }\n"
            "http {\n  access_log off;\n"
            + "".join(
                f"  {kind}_temp_path {temp}/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {temp}/keel.conf;\n}}\n"
        )
        self.spawn("nginx", ["nginx", "-p", str(temp), "-c", str(temp / "nginx.conf")])
        wait_until(lambda: get("/health/live", self)[0] == 200, 30, "nginx")

    # all of it

    def start(self) -> None:
        self.smtp.start()
        self.start_postgres()
        self.start_redis()
        self.start_s3()
        self.start_keel()

    def stop(self) -> None:
        for name in ("nginx", "gunicorn", "worker", "s3", "redis"):
            self.kill(name, signal.SIGTERM if name == "gunicorn" else signal.SIGKILL)
        self.stop_postgres()
        self.smtp.stop()


S3_KEY, S3_SECRET = "keel-faults-access", "keel-faults-secret-key"
# Every port weed mini listens on, so it never meets another SeaweedFS on this machine.
S3_PORT_FLAGS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
    "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc",
)  # fmt: skip
THROTTLE_SCOPES = (
    "ANON", "USER", "LOGIN_IP", "LOGIN_ACCOUNT", "REGISTER_IP", "REGISTER_ACCOUNT",
    "PASSWORD_RESET_IP", "PASSWORD_RESET_ACCOUNT", "VERIFICATION_IP", "VERIFICATION_ACCOUNT",
)  # fmt: skip


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


# --- an SMTP server that keeps what it accepts ------------------------------------------


class SmtpSink:
    """Accepts mail on loopback and records each message it answered 250 to.

    ``slow`` holds the answer to MAIL FROM for a while: a worker sending then is
    mid-task, and a message whose sender died before DATA was never delivered.
    """

    def __init__(self):
        self.port = free_port()
        # (recipient, digest of the message) for each message delivered. A task that ran
        # twice sends the same message (the same link) twice.
        self.delivered: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.slow = threading.Event()
        sink = self

        class Session(socketserver.StreamRequestHandler):
            timeout = 30

            def handle(self):
                # A sender killed mid-session is what the test does: not an error here.
                with contextlib.suppress(OSError):
                    self.converse()

            def converse(self):
                self.say("220 faults sink")
                recipients = []
                while line := self.rfile.readline().decode(errors="replace").strip():
                    verb = line[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.say("250 faults sink")
                    elif verb == "MAIL":
                        if sink.slow.is_set():
                            time.sleep(3)
                        self.say("250 ok")
                    elif verb == "RCPT":
                        recipients.append(line.split(":", 1)[1].strip(" <>"))
                        self.say("250 ok")
                    elif verb == "DATA":
                        self.say("354 go on")
                        message = hashlib.sha256()
                        while (line := self.rfile.readline()) not in (b".\r\n", b""):
                            # Headers that differ between two sendings of one message.
                            if not line.lower().startswith((b"date:", b"message-id:")):
                                message.update(line)
                        with sink.lock:
                            sink.delivered += [(to, message.hexdigest()) for to in recipients]
                        recipients = []
                        self.say("250 queued")
                    elif verb == "QUIT":
                        self.say("221 bye")
                        return
                    else:
                        self.say("250 ok")

            def say(self, text: str) -> None:
                self.wfile.write(f"{text}\r\n".encode())

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", self.port), Session)

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- HTTP through nginx --------------------------------------------------------------------


@dataclass
class Answer:
    at: float
    op: str
    status: int  # 0: no HTTP answer at all
    content_type: str = ""
    retry_after: str | None = None
    code: str = ""
    seconds: float = 0.0
    body: dict | None = None
    headers: dict = field(default_factory=dict)

    @property
    def ended(self) -> float:
        return self.at + self.seconds


def request(services, method, path, *, body=None, raw=None, token=None, headers=None,
            op="", timeout=15.0) -> Answer:  # fmt: skip
    headers = dict(headers or {})
    if body is not None:
        raw = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", services.ports["nginx"], timeout=timeout)
    try:
        connection.request(method, path, body=raw, headers=headers)
        response = connection.getresponse()
        content = response.read()
    except (OSError, http.client.HTTPException) as error:
        elapsed = time.monotonic() - started
        return Answer(started, op, 0, code=type(error).__name__, seconds=elapsed)
    finally:
        connection.close()
    answer = Answer(
        started,
        op,
        response.status,
        response.headers.get("Content-Type", ""),
        response.headers.get("Retry-After"),
        seconds=time.monotonic() - started,
        headers=dict(response.headers),
    )
    if "json" in answer.content_type and content:
        with contextlib.suppress(ValueError):
            answer.body = json.loads(content)
            if isinstance(answer.body, dict):
                answer.code = str(answer.body.get("code", ""))
    return answer


def get(path: str, services) -> tuple[int, float]:
    answer = request(services, "GET", path, timeout=5)
    return answer.status, answer.seconds


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


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


class Verdict:
    def __init__(self):
        self.failures: list[str] = []
        self.passed = 0

    def check(self, condition: bool, what: str) -> None:
        if condition:
            self.passed += 1
        else:
            self.failures.append(what)
        print(("ok   " if condition else "FAIL ") + what, flush=True)


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

    print_table(rows)
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


def print_table(rows) -> None:
    header = ("phase", "outage s", "requests", "2xx/3xx", "503", "other", "last error",
              "live max ms", "what was done")  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    print("(last error: seconds after the service was back; outage: fault to recovery)\n")


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
    finally:
        services.stop()
        if verdict.failures:
            print(f"logs kept in {services.logs}")
            for log in sorted(services.logs.glob("*.log")):
                print(f"--- {log.name} (last lines)")
                print("\n".join(log.read_text(errors="replace").splitlines()[-15:]))
        else:
            shutil.rmtree(services.dir, ignore_errors=True)
    print(f"faults: {verdict.passed} passed, {len(verdict.failures)} failed")
    return 1 if verdict.failures else 0


if __name__ == "__main__":
    sys.exit(run())
