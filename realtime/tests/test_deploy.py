"""The realtime process in Compose and Kubernetes: its own service, beside web, on Redis."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from realtime.server import GRACEFUL_SHUTDOWN_SECONDS

BASE_DIR = Path(__file__).resolve().parents[2]
KUBECTL = shutil.which("kubectl")
SERVE = ["python", "manage.py", "serve_realtime", "--bind", "0.0.0.0:8001"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def test_compose_runs_the_realtime_process_on_redis_beside_web(compose):
    realtime = compose["services"]["realtime"]

    assert realtime["command"] == SERVE
    assert realtime["environment"]["REDIS_URL"] == compose["x-app-env"]["REDIS_URL"]
    assert realtime["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert "/health/live" in " ".join(realtime["healthcheck"]["test"])
    assert "ports" not in realtime  # reached through the proxy, as web is
    # REST does not wait for it: the proxy starts without the realtime process.
    assert "realtime" not in compose["services"]["proxy"]["depends_on"]


def test_the_proxy_sends_websockets_to_the_realtime_process_unbuffered():
    site = (BASE_DIR / "deploy/nginx/keel.conf").read_text()
    location = re.search(r"location /ws/ \{(.*?)\n    \}", site, re.S)[1]

    assert "set $keel_realtime http://realtime:8001;" in location
    assert 'proxy_set_header Connection "upgrade";' in location
    assert "proxy_set_header Upgrade $http_upgrade;" in location
    assert "proxy_buffering off;" in location
    timeout = int(re.search(r"proxy_read_timeout (\d+)s;", location)[1])
    assert timeout > 2 * 25  # two default heartbeats (REALTIME_HEARTBEAT_SECONDS)


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubernetes_runs_a_realtime_deployment_behind_its_own_ingress_path(compose):
    rendered = subprocess.run(
        [KUBECTL, "kustomize", str(BASE_DIR / "deploy/kubernetes/overlays/production")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    resources = {
        (resource["kind"], resource["metadata"]["name"]): resource
        for resource in yaml.safe_load_all(rendered)
    }
    pod = resources[("Deployment", "keel-realtime")]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    ingress = resources[("Ingress", "keel-realtime")]
    [path] = ingress["spec"]["rules"][0]["http"]["paths"]

    assert container["command"] == compose["services"]["realtime"]["command"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "ws"}
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert pause + GRACEFUL_SHUTDOWN_SECONDS < pod["terminationGracePeriodSeconds"]
    assert (path["path"], path["backend"]["service"]["name"]) == ("/ws/", "keel-realtime")
    assert (
        int(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"])
        > 50
    )


def test_check_deploy_warns_when_live_updates_have_no_shared_channel_layer(settings):
    from realtime import checks

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert [message.id for message in checks.events_need_a_shared_channel_layer(None)] == [
        "realtime.W001"
    ]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"]},
        }
    }
    assert checks.events_need_a_shared_channel_layer(None) == []
