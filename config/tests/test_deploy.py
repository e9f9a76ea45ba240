"""The deployment files agree with the app (no Docker engine runs here, so they are read)."""

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

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
    assert web["environment"]["MIGRATE_ON_START"] == "true"


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
    } == {}


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


def test_compose_database_has_a_volume_and_a_healthcheck(compose):
    db = compose["services"]["db"]
    assert db["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert compose["services"]["web"]["depends_on"]["db"] == {"condition": "service_healthy"}


def test_compose_s3_server_creates_the_bucket_the_app_uses(compose):
    s3 = compose["services"]["s3"]
    assert f"-bucket={compose['x-app-env']['S3_BUCKET']}" in s3["command"]
    assert s3["environment"]["AWS_ACCESS_KEY_ID"] == compose["x-app-env"]["S3_ACCESS_KEY_ID"]


def test_dockerfile_is_multi_stage_slim_non_root_with_healthcheck():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert dockerfile.count("FROM python:3.13-slim") == 2
    assert "build-essential" in dockerfile.split("# --- Runtime stage")[0]
    assert "build-essential" not in dockerfile.split("# --- Runtime stage")[1]
    assert re.search(r"^USER keel$", dockerfile, re.M)
    assert "collectstatic --noinput" in dockerfile
    assert "/health/live" in dockerfile.split("HEALTHCHECK")[1]
    assert 'CMD ["gunicorn", "--config", "config/gunicorn.py"]' in dockerfile
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in dockerfile


def test_entrypoint_waits_for_the_database_and_migrates_on_request():
    entrypoint = (BASE_DIR / "docker" / "entrypoint.sh").read_text()
    assert "manage.py wait_for_database" in entrypoint
    assert 'MIGRATE_ON_START:-false}" = "true"' in entrypoint
    assert "manage.py ensure_superuser" in entrypoint
    assert entrypoint.rstrip().endswith('exec "$@"')


def test_gunicorn_config_reads_its_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "12")
    monkeypatch.setenv("GUNICORN_GRACEFUL_TIMEOUT", "7")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.1")
    spec = importlib.util.spec_from_file_location("gunicorn_conf", BASE_DIR / "config/gunicorn.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert (conf.workers, conf.threads, conf.timeout, conf.graceful_timeout) == (3, 4, 12, 7)
    assert conf.forwarded_allow_ips == "10.0.0.1"
    assert conf.wsgi_app == "config.wsgi:application"
    assert conf.accesslog is None
    assert conf.logconfig_dict["handlers"]["stdout"]["formatter"] in {"json", "console"}


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
