"""The private S3-compatible bucket backend (``storage.backends.PrivateS3Storage``)."""

from typing import Any

from botocore.exceptions import ClientError
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

from config.ops.dependencies import storage_breaker


class PrivateS3Storage(S3Storage):
    """A private bucket on any S3-compatible server.

    Objects get no ACL (the bucket's private default) and are never overwritten; every
    URL handed out is presigned. ``public_endpoint_url`` signs those URLs for the host
    clients reach (a CDN or a public name for MinIO/SeaweedFS), while the server talks
    to ``endpoint_url``: signature v4 covers the host, so it must be signed for that one.

    Every call that reaches the bucket goes through ``storage_breaker``: a bucket that
    is down or too slow raises ``StorageUnavailable`` (503), and after a few failures it
    is not called for a few seconds (``config.ops.dependencies``).
    """

    default_acl = None
    querystring_auth = True
    file_overwrite = False

    def __init__(self, *, public_endpoint_url: str | None = None, **options):
        super().__init__(**options)
        self.public_endpoint_url = public_endpoint_url

    @property
    def client(self):
        return self.connection.meta.client

    def _save(self, name, content):
        return storage_breaker.call(super()._save, name, content)

    def _open(self, name, mode="rb"):
        return storage_breaker.call(super()._open, name, mode)

    def delete(self, name):
        return storage_breaker.call(super().delete, name)

    def exists(self, name):
        return storage_breaker.call(super().exists, name)

    def size(self, name):
        return storage_breaker.call(super().size, name)

    def get_modified_time(self, name):
        return storage_breaker.call(super().get_modified_time, name)

    @property
    def signing_client(self):
        if not self.public_endpoint_url:
            return self.client
        if getattr(self._connections, "signing_client", None) is None:
            self._connections.signing_client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
            )
        return self._connections.signing_client

    def presigned_download_url(
        self, name: str, *, filename: str, content_type: str, expires_in: int
    ) -> str:
        return self.signing_client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket_name,
                "Key": name,
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": content_type,
            },
            ExpiresIn=expires_in,
        )

    def presigned_upload(
        self, name: str, *, content_type: str, size: int, expires_in: int
    ) -> dict[str, Any]:
        """A presigned POST accepting exactly ``size`` bytes of ``content_type`` at ``name``."""
        return self.signing_client.generate_presigned_post(
            self.bucket_name,
            name,
            Fields={"Content-Type": content_type},
            Conditions=[
                ["content-length-range", size, size],
                {"Content-Type": content_type},
            ],
            ExpiresIn=expires_in,
        )

    def object_metadata(self, name: str) -> dict[str, Any] | None:
        """Size and content type of an object, or None if there is none."""
        try:
            head = storage_breaker.call(self.client.head_object, Bucket=self.bucket_name, Key=name)
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                return None
            raise
        return {"size": head["ContentLength"], "content_type": head.get("ContentType", "")}

    def read_start(self, name: str, length: int) -> bytes:
        def read() -> bytes:
            response = self.client.get_object(
                Bucket=self.bucket_name, Key=name, Range=f"bytes=0-{length - 1}"
            )
            return response["Body"].read()

        return storage_breaker.call(read)

    def list_keys(self, prefix: str = ""):
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=prefix):
            for entry in page.get("Contents", []):
                yield entry["Key"]
