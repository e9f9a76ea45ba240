"""STORAGES["default"] from the environment: local files or a private S3 bucket."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages

from config.settings.env import build_file_storage
from storage.backends import LocalFileStorage, supports_presigned_urls
from storage.s3 import PrivateS3Storage

BASE_DIR = Path(__file__).resolve().parents[2]

S3 = {
    "bucket": "keel-files",
    "endpoint_url": "http://s3.internal:8333",
    "public_endpoint_url": "",
    "region": "eu-west-1",
    "access_key_id": "AKIAKEEL",
    "secret_access_key": "keel-secret",
    "addressing_style": "path",
    "checksums_when_required": False,
}


def settings_in_subprocess(
    code: str = "from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])",
    **env: str,
) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with the settings and this storage environment
    only (by default: print the file storage backend)."""
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("S3_", "STORAGE_BACKEND", "DJANGO_SETTINGS_MODULE"))
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_build_file_storage_s3_resolves_to_the_private_s3_storage():
    config = build_file_storage("s3", media_root=None, **S3)

    assert config["BACKEND"] == "storage.backends.PrivateS3Storage"
    options = dict(config["OPTIONS"])
    client_config = options.pop("client_config")
    assert options == {
        "bucket_name": "keel-files",
        "endpoint_url": "http://s3.internal:8333",
        "public_endpoint_url": None,
        "region_name": "eu-west-1",
        "access_key": "AKIAKEEL",
        "secret_key": "keel-secret",
    }
    assert client_config.signature_version == "s3v4"
    assert client_config.s3 == {"addressing_style": "path"}
    assert client_config.request_checksum_calculation == "when_supported"
    assert client_config.response_checksum_validation == "when_supported"


def test_build_file_storage_s3_with_empty_values_falls_back_to_boto3_defaults():
    empty = {**S3, "endpoint_url": "", "region": "", "access_key_id": "", "secret_access_key": ""}

    options = build_file_storage("s3", media_root=None, **empty)["OPTIONS"]

    assert options["endpoint_url"] is None
    assert options["region_name"] is None
    assert options["access_key"] is None
    assert options["secret_key"] is None


def test_build_file_storage_s3_can_checksum_only_when_required():
    config = build_file_storage("s3", media_root=None, **{**S3, "checksums_when_required": True})
    options = config["OPTIONS"]

    assert options["client_config"].request_checksum_calculation == "when_required"
    assert options["client_config"].response_checksum_validation == "when_required"


def test_build_file_storage_s3_without_a_bucket_raises_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match="S3_BUCKET must be set"):
        build_file_storage("s3", media_root=None, **{**S3, "bucket": ""})


def test_build_file_storage_of_an_unknown_backend_raises_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match="must be 'local' or 's3', not 'gcs'"):
        build_file_storage("gcs", media_root=None, **S3)


def test_build_file_storage_local_is_local_file_storage_at_media_root(tmp_path):
    assert build_file_storage("local", media_root=tmp_path, **S3) == {
        "BACKEND": "storage.backends.LocalFileStorage",
        "OPTIONS": {"location": tmp_path},
    }


def test_s3_storage_loaded_by_django_is_private_and_never_overwrites(s3_storage, s3_bucket):
    assert storages["default"] is s3_storage
    assert type(s3_storage) is PrivateS3Storage
    assert s3_storage.default_acl is None
    assert s3_storage.querystring_auth is True
    assert s3_storage.file_overwrite is False
    assert s3_storage.bucket_name == s3_bucket
    assert supports_presigned_urls(s3_storage)


def test_s3_storage_with_a_public_endpoint_signs_urls_for_that_host(settings, s3_settings):
    options = {**s3_settings["OPTIONS"], "public_endpoint_url": "https://files.example.com"}
    settings.STORAGES = {**settings.STORAGES, "default": {**s3_settings, "OPTIONS": options}}
    storage = storages["default"]

    url = storage.presigned_download_url(
        "u/a/b/c.txt", filename="c.txt", content_type="text/plain", expires_in=60
    )

    assert urlsplit(url).netloc == "files.example.com"
    assert urlsplit(storage.url("u/a/b/c.txt")).netloc == urlsplit(options["endpoint_url"]).netloc


def test_local_storage_by_default_is_local_file_storage_that_refuses_urls(local_storage):
    assert type(local_storage) is LocalFileStorage
    assert not supports_presigned_urls(local_storage)
    with pytest.raises(NotImplementedError, match="served through the API"):
        local_storage.url("u/a/b/c.txt")


def test_settings_with_storage_backend_s3_and_no_bucket_refuse_to_load():
    result = settings_in_subprocess(STORAGE_BACKEND="s3")

    assert result.returncode != 0
    assert "ImproperlyConfigured: S3_BUCKET must be set" in result.stderr


def test_settings_with_storage_backend_s3_and_a_bucket_use_private_s3_storage():
    result = settings_in_subprocess(STORAGE_BACKEND="s3", S3_BUCKET="keel-files")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "storage.backends.PrivateS3Storage\n"


def test_settings_without_storage_backend_use_local_file_storage():
    result = settings_in_subprocess()

    assert result.returncode == 0, result.stderr
    assert result.stdout == "storage.backends.LocalFileStorage\n"


WORKER_IMPORTS = """
import sys
from django.core.wsgi import get_wsgi_application
from django.test import Client
get_wsgi_application()
from django.core.files.storage import storages
response = Client().get("/api/v1/items/")
storages["default"]
print(response.status_code, *sorted({"boto3", "sentry_sdk"} & set(sys.modules)))
"""


def worker_modules(**env: str) -> str:
    """What a fresh worker has imported once it has served a request and opened its
    file storage."""
    result = settings_in_subprocess(WORKER_IMPORTS, ALLOWED_HOSTS="testserver", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_worker_on_local_files_without_sentry_loads_neither_boto3_nor_the_sentry_sdk():
    # About 19 MB and 10 MB of every worker that would never use them.
    assert worker_modules(SENTRY_DSN="") == "401"


def test_a_worker_on_a_bucket_loads_boto3():
    assert worker_modules(SENTRY_DSN="", STORAGE_BACKEND="s3", S3_BUCKET="b") == "401 boto3"
