"""The deployment files agree with the app (no Docker engine runs here, so they are read)."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def _settings_variables() -> set[str]:
    names = set()
    for module in (BASE_DIR / "config").glob("**/*.py"):
        names |= set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', module.read_text()))
    return names


def test_compose_has_the_whole_stack(compose):
    assert set(compose["services"]) >= {
        "migrate",
        "web",
        "proxy",
        "worker",
        "scheduler",
        "db",
        "redis",
        "s3",
        "mailpit",
    }


def test_compose_web_runs_gunicorn_with_the_config_file(compose):
    web = compose["services"]["web"]
    assert web["command"] == ["gunicorn", "--config", "config/gunicorn.py"]


def test_compose_migrates_once_before_any_web_instance_starts(compose):
    migrate, web = compose["services"]["migrate"], compose["services"]["web"]
    assert "manage.py migrate --noinput" in " ".join(migrate["command"])
    assert migrate["restart"] == "no"
    assert web["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # Scaled instances must not each migrate (nor fight for one host port).
    assert "MIGRATE_ON_START" not in web["environment"]
    assert "ports" not in web


def test_compose_serves_web_only_through_the_buffering_proxy(compose):
    web, proxy = compose["services"]["web"], compose["services"]["proxy"]
    assert "ports" not in web
    assert proxy["ports"] == ["8000:8080"]
    assert proxy["volumes"] == ["./deploy/nginx/keel.conf:/etc/nginx/conf.d/default.conf:ro"]
    assert web["environment"]["NUM_PROXIES"] == "1"


def test_compose_restarts_every_long_running_service(compose):
    assert {
        name: service.get("restart")
        for name, service in compose["services"].items()
        if service.get("restart") != "unless-stopped"
    } == {"migrate": "no"}  # a one-off job: it runs to completion once


def test_nginx_config_buffers_bodies_and_bounds_what_clients_may_take():
    config = (BASE_DIR / "deploy/nginx/keel.conf").read_text()
    for directive in (
        "proxy_request_buffering on;",
        "client_body_timeout 10s;",
        "client_header_timeout 10s;",
        "client_max_body_size 26m;",
        "proxy_read_timeout 35s;",
        "X-Forwarded-For $proxy_add_x_forwarded_for;",
        "X-Forwarded-Proto $scheme;",
        "default_type application/problem+json;",
    ):
        assert directive in config, directive


NGINX = shutil.which("nginx")


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_nginx_accepts_the_shipped_config(tmp_path):
    # The config as .ci/faults.py serves it, with the upstream on loopback.
    site = (BASE_DIR / "deploy/nginx/keel.conf").read_text()
    (tmp_path / "keel.conf").write_text(site.replace("server web:8000;", "server 127.0.0.1:9;"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ client_body_temp_path {tmp_path}/body; include {tmp_path}/keel.conf; }}\n"
    )

    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0, checked.stderr


def test_compose_worker_and_scheduler_run_the_task_worker_and_periodic_jobs(compose):
    assert compose["services"]["worker"]["command"] == ["python", "manage.py", "db_worker"]
    scheduler = compose["services"]["scheduler"]["command"]
    assert scheduler[:3] == ["python", "manage.py", "run_periodic_jobs"]


def test_compose_app_environment_uses_only_variables_the_settings_read(compose):
    app_env = compose["x-app-env"]
    unknown = (
        set(app_env)
        - _settings_variables()
        - {"DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "EMAIL_URL", "TASKS_BACKEND"}
    )
    assert unknown == set()
    assert app_env["TASKS_BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert app_env["DATABASE_URL"].startswith("postgres://")
    assert app_env["REDIS_URL"].startswith("redis://redis:")
    assert app_env["S3_ENDPOINT_URL"] == "http://s3:8333"
    assert app_env["EMAIL_URL"] == "smtp://mailpit:1025"


def test_compose_services_share_the_app_environment(compose):
    services = compose["services"]
    for name in ("web", "worker", "scheduler"):
        assert (
            services[name]["environment"]["DATABASE_URL"] == compose["x-app-env"]["DATABASE_URL"]
        )


def test_only_the_web_service_checks_http_health(compose):
    services = compose["services"]
    assert "/health/live" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("worker", "scheduler"):
        assert "healthcheck" not in services[name], name


def test_compose_runs_the_postgresql_major_that_ci_tests():
    compose_major = re.search(
        r"image: postgres:(\d+)", (BASE_DIR / "docker-compose.yml").read_text()
    )
    ci_major = re.search(
        r"/usr/lib/postgresql/(\d+)/bin", (BASE_DIR / ".ci/harness.py").read_text()
    )
    assert compose_major[1] == ci_major[1] == "15"


def test_the_development_override_reloads_web_and_worker_on_the_mounted_source():
    base = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    override = yaml.safe_load((BASE_DIR / "docker-compose.override.yml").read_text())
    web, worker = override["services"]["web"], override["services"]["worker"]

    assert set(override["services"]) <= set(base["services"])
    assert web["command"] == ["python", "manage.py", "runserver", "0.0.0.0:8000"]
    assert worker["command"] == ["python", "manage.py", "db_worker", "--reload"]
    for service in (web, worker):
        assert {"type": "bind", "source": ".", "target": "/app"} in service["volumes"]
        assert service["environment"]["DEBUG"] == "true"
        sync = service["develop"]["watch"][0]
        assert (sync["action"], sync["path"], sync["target"]) == ("sync", ".", "/app")
        assert {"action": "rebuild", "path": "requirements.lock"} in service["develop"]["watch"]
    # Mailpit and the bucket come from the base file, unchanged.
    assert {"mailpit", "s3"} <= set(base["services"]) - set(override["services"])


def test_the_devcontainer_runs_the_compose_development_stack():
    text = (BASE_DIR / ".devcontainer/devcontainer.json").read_text()
    config = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))

    assert config["dockerComposeFile"] == [
        "../docker-compose.yml",
        "../docker-compose.override.yml",
    ]
    assert config["service"] == "web"
    assert config["workspaceFolder"] == "/app"


def test_the_github_workflow_runs_ci_run_with_the_same_service_majors():
    workflow = yaml.safe_load((BASE_DIR / ".github/workflows/ci.yml").read_text())
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    job = workflow["jobs"]["ci"]

    assert {"run": "bash .ci/run", "name": ".ci/run"} in job["steps"]
    assert job["services"]["postgres"]["image"] == compose["services"]["db"]["image"]
    assert job["services"]["redis"]["image"] == compose["services"]["redis"]["image"]
    assert job["services"]["postgres"]["ports"] == ["5432:5432"]


def test_compose_database_has_a_volume_and_a_healthcheck(compose):
    db = compose["services"]["db"]
    assert db["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert compose["services"]["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}


def test_compose_s3_server_creates_the_bucket_the_app_uses(compose):
    s3 = compose["services"]["s3"]
    assert f"-bucket={compose['x-app-env']['S3_BUCKET']}" in s3["command"]
    assert s3["environment"]["AWS_ACCESS_KEY_ID"] == compose["x-app-env"]["S3_ACCESS_KEY_ID"]


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_is_pinned_with_its_hashes(lock):
    entries = re.split(r"\n(?=[A-Za-z])", (BASE_DIR / lock).read_text().split("\n", 2)[2])
    assert len(entries) > 20
    for entry in entries:
        assert re.match(r"^[A-Za-z0-9_.\-]+==\S+", entry), entry
        assert "--hash=sha256:" in entry, entry


def test_the_image_and_make_install_from_the_locks_by_hash():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    makefile = (BASE_DIR / "Makefile").read_text()

    assert "pip install --no-deps --require-hashes -r /tmp/requirements.lock" in dockerfile
    assert "PIP_INSTALL := $(BIN)/python -m pip install --quiet --no-deps --require-hashes" in (
        makefile
    )
    assert "$(PIP_INSTALL) -r requirements.lock" in makefile
    assert "$(PIP_INSTALL) -r requirements-dev.lock" in makefile


def test_dockerfile_is_multi_stage_slim_and_runs_as_a_numeric_non_root_user():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert dockerfile.count("FROM python:3.13-slim") == 2
    assert "build-essential" in dockerfile.split("# --- Runtime stage")[0]
    assert "build-essential" not in dockerfile.split("# --- Runtime stage")[1]
    assert re.search(r"^USER 10001:10001$", dockerfile, re.M)
    assert "--uid 10001 --gid 10001" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    # The image also runs the worker and the scheduler, which serve no HTTP.
    assert not re.search(r"^HEALTHCHECK", dockerfile, re.M)
    assert 'CMD ["gunicorn", "--config", "config/gunicorn.py"]' in dockerfile
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in dockerfile


def test_entrypoint_waits_for_the_database_and_migrates_on_request():
    entrypoint = (BASE_DIR / "docker" / "entrypoint.sh").read_text()
    assert "manage.py wait_for_database" in entrypoint
    assert 'MIGRATE_ON_START:-false}" = "true"' in entrypoint
    assert "manage.py ensure_superuser" in entrypoint
    assert entrypoint.rstrip().endswith('exec "$@"')


def _gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", BASE_DIR / "config/gunicorn.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


@pytest.mark.parametrize(
    ("files", "cpus"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),  # cgroup v2, a 1.5-CPU limit
        ({"cpu/cpu.cfs_quota_us": "50000", "cpu/cpu.cfs_period_us": "100000"}, 0.5),  # v1
        ({"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}, None),  # v1, none
        ({"cpu.max": "max 100000\n"}, None),  # v2, no limit
        ({}, None),  # no cgroup at all
    ],
)
def test_gunicorn_counts_the_containers_cpu_quota_not_the_nodes_cores(tmp_path, files, cpus):
    conf = _gunicorn_conf()
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    cores = len(os.sched_getaffinity(0))

    assert conf.available_cpus(tmp_path) == (min(cpus, cores) if cpus else cores)


@pytest.mark.parametrize(
    ("environ", "cpus", "workers"),
    [
        ({}, 0.5, 3),
        ({}, 1.5, 5),
        ({"WEB_CONCURRENCY": "4"}, 8, 4),
        ({"GUNICORN_WORKERS": "2", "WEB_CONCURRENCY": "4"}, 8, 2),
    ],
)
def test_gunicorn_workers_come_from_the_settings_or_the_cpus_it_may_use(environ, cpus, workers):
    assert _gunicorn_conf().default_workers(environ, cpus=cpus) == workers


@pytest.mark.parametrize(
    ("environ", "bind"),
    [
        ({}, "0.0.0.0:8000"),
        ({"PORT": "9090"}, "0.0.0.0:9090"),
        ({"PORT": "9090", "GUNICORN_BIND": "127.0.0.1:7000"}, "127.0.0.1:7000"),
    ],
)
def test_gunicorn_listens_on_the_platforms_port(environ, bind):
    assert _gunicorn_conf().default_bind(environ) == bind


def test_gunicorn_config_reads_its_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "12")
    monkeypatch.setenv("GUNICORN_GRACEFUL_TIMEOUT", "7")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.1")
    conf = _gunicorn_conf()
    assert (conf.workers, conf.threads, conf.timeout, conf.graceful_timeout) == (3, 4, 12, 7)
    assert conf.forwarded_allow_ips == "10.0.0.1"
    assert conf.wsgi_app == "config.wsgi:application"
    assert conf.accesslog is None
    assert conf.drain_seconds == 0
    assert conf.logconfig_dict["handlers"]["stdout"]["formatter"] in {"json", "console"}


WORKER_INIT = """
import gc, importlib.util, sys
import django
django.setup()  # as loading the WSGI app has, in a worker
spec = importlib.util.spec_from_file_location("conf", "config/gunicorn.py")
conf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(conf)
class Worker:
    class cfg:
        preload_app = sys.argv[1] == "preloaded"
before = ("items.views" in sys.modules, gc.get_freeze_count())
conf.post_worker_init(Worker)
print(before, ("items.views" in sys.modules, gc.get_freeze_count() > 50_000))
"""


def _worker_init(preloaded: bool) -> str:
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    ran = subprocess.run(
        [sys.executable, "-c", WORKER_INIT, "preloaded" if preloaded else "loaded"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return ran.stdout.split("\n")[-2]


def test_a_worker_loads_the_views_and_freezes_them_before_its_first_request():
    assert _worker_init(preloaded=False) == "(False, 0) (True, True)"


def test_a_worker_forked_from_a_preloading_master_leaves_that_to_the_master():
    assert _worker_init(preloaded=True) == "(False, 0) (False, False)"


def test_a_preloading_master_freezes_the_app_before_forking(monkeypatch):
    conf = _gunicorn_conf()
    frozen = []
    monkeypatch.setattr(conf, "freeze_loaded_app", lambda: frozen.append(True))
    master = SimpleNamespace(cfg=SimpleNamespace(preload_app=True), pid=4242)

    conf.when_ready(master)

    assert frozen == [True]


@pytest.mark.parametrize(
    ("environ", "workers", "threads", "slots"),
    [
        ({}, 2, 1, 1),
        ({}, 5, 1, 4),
        ({}, 2, 4, 7),
        ({}, 1, 1, 1),  # one worker: a hung bucket holds it; nothing else to keep free
        ({"STORAGE_MAX_CONCURRENT_CALLS": "2"}, 5, 1, 2),
    ],
)
def test_each_gunicorn_worker_shares_the_instances_storage_slots(
    environ, workers, threads, slots, monkeypatch
):
    from config.ops import instance
    from config.ops.dependencies import storage_bulkhead

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    master = SimpleNamespace(pid=4242, num_workers=workers, cfg=SimpleNamespace(threads=threads))
    try:
        _gunicorn_conf().post_fork(master, worker=None)
        assert storage_bulkhead.slots == slots
        assert storage_bulkhead._directory == instance.directory_of(4242)
    finally:
        instance.leave()


class FakeArbiter:
    """What DrainOnTerm uses of gunicorn's master: its pid and its log."""

    def __init__(self, pid):
        self.pid = pid
        self.log = SimpleNamespace(info=lambda *args: None)


def test_sigterm_drains_before_gunicorn_stops(monkeypatch, tmp_path):
    from config.ops import instance

    monkeypatch.setattr(instance.tempfile, "gettempdir", lambda: str(tmp_path))
    conf = _gunicorn_conf()
    sent = []
    monkeypatch.setattr(conf.threading, "Timer", lambda *args: FakeTimer(sent, *args))
    handle_term = conf.DrainOnTerm(FakeArbiter(4242), seconds=5)

    handle_term()  # the first SIGTERM: keep serving, readiness 503
    assert (instance.directory_of(4242) / "draining").exists()
    assert sent == [(5, os.kill, (os.getpid(), conf.signal.SIGTERM))]
    with pytest.raises(StopIteration):  # the second: gunicorn's own graceful stop
        handle_term()


def test_sigterm_stops_at_once_without_a_drain():
    handle_term = _gunicorn_conf().DrainOnTerm(FakeArbiter(4242), seconds=0)

    with pytest.raises(StopIteration):
        handle_term()


class FakeTimer:
    def __init__(self, sent, seconds, function, args):
        sent.append((seconds, function, args))

    def start(self):
        pass


@pytest.mark.django_db
def test_wait_for_database_returns_when_the_database_answers(capsys):
    call_command("wait_for_database", "--timeout", "1")
    assert "The database is up." in capsys.readouterr().out


@pytest.mark.django_db
def test_wait_for_database_gives_up_after_the_timeout(monkeypatch):
    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    with pytest.raises(CommandError, match="did not answer within 0.1 s"):
        call_command("wait_for_database", "--timeout", "0.1")


def test_procfile_migrates_on_release_and_runs_every_process():
    processes = dict(
        line.split(": ", 1)
        for line in (BASE_DIR / "Procfile").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert processes == {
        "release": "python manage.py migrate --noinput",
        "web": "gunicorn --config config/gunicorn.py",
        "worker": "python manage.py db_worker",
        "scheduler": "python manage.py run_periodic_jobs --every 3600",
    }


KUBECTL = shutil.which("kubectl")


@pytest.fixture(scope="module")
def kubernetes() -> dict[tuple[str, str], dict]:
    assert KUBECTL is not None, "only tests marked needs_kubectl use this fixture"
    rendered = subprocess.run(
        [KUBECTL, "kustomize", str(BASE_DIR / "deploy/kubernetes/overlays/production")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(rendered)}


def _pod(resource: dict) -> dict:
    spec = resource["spec"]
    if resource["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


@needs_kubectl
def test_kubernetes_production_overlay_has_every_workload_in_its_namespace(kubernetes):
    assert set(kubernetes) == {
        ("ConfigMap", "keel-config"),
        ("Deployment", "keel-web"),
        ("Deployment", "keel-worker"),
        ("CronJob", "keel-periodic-jobs"),
        ("Job", "keel-migrate"),
        ("Service", "keel-web"),
        ("Ingress", "keel"),
        ("HorizontalPodAutoscaler", "keel-web"),
        ("PodDisruptionBudget", "keel-web"),
        ("Deployment", "keel-realtime"),
        ("Service", "keel-realtime"),
        ("Ingress", "keel-realtime"),
        ("PodDisruptionBudget", "keel-realtime"),
    }
    assert {resource["metadata"]["namespace"] for resource in kubernetes.values()} == {"keel"}


@needs_kubectl
def test_kubernetes_workloads_run_the_image_as_its_numeric_non_root_user(kubernetes):
    for key, resource in kubernetes.items():
        if key[0] not in ("Deployment", "CronJob", "Job"):
            continue
        pod = _pod(resource)
        assert pod["securityContext"]["runAsNonRoot"] is True, key
        assert pod["securityContext"]["runAsUser"] == 10001, key
        [container] = pod["containers"]
        assert container["image"] == "registry.example.com/keel:1.0.0", key
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, key
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}, key


@needs_kubectl
def test_kubernetes_web_probes_and_drain_fit_the_grace_period(kubernetes):
    pod = _pod(kubernetes[("Deployment", "keel-web")])
    [web] = pod["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert web["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert web["startupProbe"]["httpGet"]["path"] == "/health/live"
    pause = int(web["lifecycle"]["preStop"]["exec"]["command"][1])
    graceful = int(kubernetes[("ConfigMap", "keel-config")]["data"]["GUNICORN_GRACEFUL_TIMEOUT"])
    assert pause + graceful < pod["terminationGracePeriodSeconds"]


@needs_kubectl
def test_kubernetes_runs_the_commands_of_the_other_deployments(kubernetes, compose):
    def command(key):
        return _pod(kubernetes[key])["containers"][0]["command"]

    assert command(("Job", "keel-migrate")) == ["python", "manage.py", "migrate", "--noinput"]
    assert command(("Deployment", "keel-worker")) == compose["services"]["worker"]["command"]
    assert command(("CronJob", "keel-periodic-jobs")) == [
        "python",
        "manage.py",
        "run_periodic_jobs",
    ]
    config = kubernetes[("ConfigMap", "keel-config")]["data"]
    assert config["MIGRATE_ON_START"] == "false"
    assert config["NUM_PROXIES"] == "1"
