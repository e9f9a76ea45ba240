"""What the CI scripts that run Keel on real services share (.ci/faults.py, .ci/topology.py).

``Stack`` starts throwaway services on free loopback ports under one scratch directory:
PostgreSQL clusters from ``initdb`` (a streaming replica from ``pg_basebackup -R``),
PgBouncer, Redis, a SeaweedFS S3 server, an SMTP sink, Keel's gunicorn instances and task
workers, and nginx running the shipped ``deploy/nginx/keel.conf``. It never touches a
service it did not start. Every service is a child in its own session holding none of
the script's pipes, and ``stop`` ends all of them, whatever state they are in.
"""

import contextlib
import glob
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
S3_KEY, S3_SECRET = "keel-ci-stack-access", "keel-ci-stack-secret-key"
# Every port weed mini listens on, so it never meets another SeaweedFS on this machine.
S3_PORT_FLAGS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
    "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc",
)  # fmt: skip
THROTTLE_SCOPES = (
    "ANON", "USER", "LOGIN_IP", "LOGIN_ACCOUNT", "REGISTER_IP", "REGISTER_ACCOUNT",
    "PASSWORD_RESET_IP", "PASSWORD_RESET_ACCOUNT", "VERIFICATION_IP", "VERIFICATION_ACCOUNT",
)  # fmt: skip


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


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


class Stack:
    """Services for one run, each a child of this script, on free loopback ports."""

    def __init__(self, prefix: str):
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.dir.chmod(0o755)
        self.logs = self.dir / "logs"
        self.logs.mkdir()
        self.ports: dict[str, int] = {}
        self.s3_ports = {name: free_port() for name in S3_PORT_FLAGS}
        self.processes: dict[str, subprocess.Popen] = {}
        # gunicorn masters, stopped gracefully (the others are killed)
        self.instances: set[str] = set()
        self.clusters: list[Path] = []
        self.pg_bin = sorted(glob.glob("/usr/lib/postgresql/15/bin"))[-1]
        self.smtp = SmtpSink()
        self.bucket = "keel-ci-stack"

    def port(self, name: str) -> int:
        if name not in self.ports:
            self.ports[name] = free_port()
        return self.ports[name]

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

    def kill(self, name: str, sig: int = signal.SIGKILL, *, wait: float = 10) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=wait)
        if process and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def children_of(self, name: str) -> list[int]:
        master = self.processes[name].pid
        return [
            int(pid)
            for pid in os.listdir("/proc")
            if pid.isdigit() and parent_of(int(pid)) == master
        ]

    # PostgreSQL: throwaway clusters, owned by the postgres user when run as root

    def _as_postgres(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    def _postgres_run(self, argv: list[str]) -> None:
        subprocess.run(
            self._as_postgres(argv), check=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True, cwd=self.dir,
        )  # fmt: skip

    def pg_ctl(self, name: str, *args: str) -> None:
        data = self.dir / name
        options = f"-p {self.port(name)} -k {data} -c listen_addresses=127.0.0.1"
        self._postgres_run(
            [f"{self.pg_bin}/pg_ctl", "-D", str(data), "-w", "-t", "60",
             "-l", str(data / "server.log"), "-o", options, *args]
        )  # fmt: skip

    def _new_data_directory(self, name: str) -> Path:
        data = self.dir / name
        data.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        self.clusters.append(data)
        return data

    def start_postgres(self, name: str = "pg", *settings: str) -> None:
        """A new cluster; ``settings`` are lines for its postgresql.conf."""
        data = self._new_data_directory(name)
        self._postgres_run(
            [f"{self.pg_bin}/initdb", "-D", str(data), "-U", "postgres", "-A", "trust",
             "--no-sync"]
        )  # fmt: skip
        if settings:
            conf = data / "postgresql.conf"
            conf.write_text(conf.read_text() + "\n".join(settings) + "\n")
        self.pg_ctl(name, "start")

    def start_replica(self, name: str, primary: str) -> None:
        """A streaming replica of ``primary`` (``pg_basebackup -R`` writes its standby setup)."""
        data = self._new_data_directory(name)
        self._postgres_run(
            [f"{self.pg_bin}/pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port(primary)),
             "-U", "postgres", "-D", str(data), "-R", "-X", "stream", "-c", "fast", "--no-sync"]
        )  # fmt: skip
        self.pg_ctl(name, "start")

    def stop_postgres(self) -> None:
        for data in reversed(self.clusters):
            if (data / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.CalledProcessError):
                    self.pg_ctl(data.name, "stop", "-m", "immediate")

    def database_url(self, name: str = "pg", database: str = "keel") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port(name)}/{database}"

    def createdb(self, name: str = "pg", database: str = "keel") -> None:
        subprocess.run(
            [f"{self.pg_bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port(name)),
             "-U", "postgres", database],
            check=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def sql(self, query: str, url: str | None = None) -> list[tuple]:
        import psycopg

        url = url or self.database_url()
        with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
            return db.execute(query).fetchall()

    # PgBouncer

    def start_pgbouncer(self, primary: str = "pg", *, pool_size: int = 10) -> None:
        directory = self.dir / "pgbouncer"
        directory.mkdir()
        (directory / "users.txt").write_text('"postgres" ""\n')
        (directory / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.port(primary)}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port('pgbouncer')}\n"
            f"unix_socket_dir = {directory}\n"
            "auth_type = trust\n"
            f"auth_file = {directory / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 200\n"
        )
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        self.spawn("pgbouncer", self._as_postgres(["pgbouncer", str(directory / "pgbouncer.ini")]))
        wait_until(lambda: socket.create_connection(("127.0.0.1", self.port("pgbouncer")), 1),
                   10, "PgBouncer")  # fmt: skip

    # Redis

    def start_redis(self) -> None:
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.port("redis")), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
        )  # fmt: skip
        wait_until(self.redis_answers, 10, "Redis")

    def redis(self, *command: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port("redis")), *command],
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
        client.put_object(Bucket=self.bucket, Key="stack-probe", Body=b"probe")
        client.delete_object(Bucket=self.bucket, Key="stack-probe")
        return True

    def s3_keys(self) -> set[str]:
        keys, pages = set(), self.s3_client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket):
            keys |= {entry["Key"] for entry in page.get("Contents", [])}
        return keys

    # Keel

    def keel_env(self, **overrides: str) -> dict[str, str]:
        """Production settings against this stack's services."""
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "KEEL"))},
            "DEBUG": "false",
            "LOG_FORMAT": "json",
            "SECRET_KEY": "stack-" + self.dir.name * 4,
            "JWT_SIGNING_KEY": "stack-jwt-" + self.dir.name[::-1] * 4,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": self.database_url(),
            "REDIS_URL": f"redis://127.0.0.1:{self.port('redis')}/0",
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.s3_url(),
            "S3_REGION": "us-east-1",
            "S3_ADDRESSING_STYLE": "path",
            "S3_CHECKSUMS_WHEN_REQUIRED": "true",
            "S3_ACCESS_KEY_ID": S3_KEY,
            "S3_SECRET_ACCESS_KEY": S3_SECRET,
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "STATIC_ROOT": str(self.dir / "static"),
            "NUM_PROXIES": "1",
            **{f"THROTTLE_RATE_{scope}": "100000/min" for scope in THROTTLE_SCOPES},
            **overrides,
        }

    def manage(self, *args: str, env: dict | None = None) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env or self.keel_env(), check=True,
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        return result.stdout

    def start_gunicorn(self, name: str, env: dict) -> None:
        """A Keel instance on the port named ``name``, ready when this returns."""
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port(name)}"}
        self.spawn(name, [GUNICORN, "-c", "config/gunicorn.py"], env=env)
        self.instances.add(name)
        wait_until(lambda: self.status_at(name, "/health/ready") == 200, 60, f"{name} to be ready")

    def status_at(self, name: str, path: str) -> int:
        return request(self.port(name), "GET", path, timeout=5).status

    def start_task_worker(self, name: str = "worker", env: dict | None = None) -> None:
        self.spawn(
            name,
            [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"],
            env=env or self.keel_env(),
            yielding=True,
        )

    # nginx, running the shipped site configuration

    def start_nginx(self, upstreams: list[str]) -> None:
        temp = self.dir / "nginx"
        temp.mkdir()
        temp.chmod(0o777)  # nginx's workers run as nobody
        self.write_nginx_site(upstreams)
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
        wait_until(lambda: self.status_at("nginx", "/health/live") == 200, 30, "nginx")

    def write_nginx_site(self, upstreams: list[str]) -> None:
        """deploy/nginx/keel.conf with these instances (port names) as its upstream."""
        shipped = (ROOT / "deploy" / "nginx" / "keel.conf").read_text()
        servers = "".join(f"server 127.0.0.1:{self.port(name)};\n    " for name in upstreams)
        # An upstream needs a server: with every instance out, nginx answers 503 itself.
        servers = servers or "server 127.0.0.1:1 down;\n    "
        site = shipped.replace("server web:8000;\n    ", servers)
        site = site.replace("listen 8080;", f"listen 127.0.0.1:{self.port('nginx')};")
        (self.dir / "nginx" / "keel.conf").write_text(site)

    def reload_nginx(self, upstreams: list[str]) -> None:
        """Route to these instances from now on; requests in flight finish where they are."""
        self.write_nginx_site(upstreams)
        os.kill(self.processes["nginx"].pid, signal.SIGHUP)

    # all of it

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM if name in self.instances else signal.SIGKILL)
        self.stop_postgres()
        self.smtp.stop()


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
        # (recipient, the message as sent), for reading links out of it.
        self.messages: list[tuple[str, bytes]] = []
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
                self.say("220 stack sink")
                recipients = []
                while line := self.rfile.readline().decode(errors="replace").strip():
                    verb = line[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.say("250 stack sink")
                    elif verb == "MAIL":
                        if sink.slow.is_set():
                            time.sleep(3)
                        self.say("250 ok")
                    elif verb == "RCPT":
                        recipients.append(line.split(":", 1)[1].strip(" <>"))
                        self.say("250 ok")
                    elif verb == "DATA":
                        self.say("354 go on")
                        message, text = hashlib.sha256(), []
                        while (line := self.rfile.readline()) not in (b".\r\n", b""):
                            text.append(line)
                            # Headers that differ between two sendings of one message.
                            if not line.lower().startswith((b"date:", b"message-id:")):
                                message.update(line)
                        with sink.lock:
                            sink.delivered += [(to, message.hexdigest()) for to in recipients]
                            sink.messages += [(to, b"".join(text)) for to in recipients]
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


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Answer:
    at: float
    op: str
    status: int  # 0: no HTTP answer at all
    content_type: str = ""
    retry_after: str | None = None
    code: str = ""
    seconds: float = 0.0
    body: dict | list | None = None
    headers: dict = field(default_factory=dict)

    @property
    def ended(self) -> float:
        return self.at + self.seconds


def request(port, method, path, *, body=None, raw=None, token=None, headers=None, op="",
            timeout=15.0) -> Answer:  # fmt: skip
    """One request to 127.0.0.1:``port``; never raises (status 0: no answer)."""
    headers = dict(headers or {})
    if body is not None:
        raw = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
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


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


class Verdict:
    def __init__(self):
        self.failures: list[str] = []
        self.passed = 0

    def check(self, condition: bool, what: str) -> bool:
        if condition:
            self.passed += 1
        else:
            self.failures.append(what)
        print(("ok   " if condition else "FAIL ") + what, flush=True)
        return condition


def print_table(header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def finish(stack: Stack, verdict: Verdict, name: str) -> int:
    """Stop everything; keep the logs (and show their ends) only when something failed."""
    stack.stop()
    if verdict.failures:
        print(f"logs kept in {stack.logs}")
        for log in sorted(stack.logs.glob("*.log")):
            print(f"--- {log.name} (last lines)")
            print("\n".join(log.read_text(errors="replace").splitlines()[-15:]))
    else:
        shutil.rmtree(stack.dir, ignore_errors=True)
    print(f"{name}: {verdict.passed} passed, {len(verdict.failures)} failed")
    return 1 if verdict.failures else 0
