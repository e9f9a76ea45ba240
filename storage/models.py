import uuid
from typing import Self

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Sum

from accounts.models import User
from resources.models import OwnedQuerySet
from storage.filenames import FILENAME_MAX_LENGTH


class StoredFileQuerySet(OwnedQuerySet):
    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Active files the user may read: their own, or all with the view permission."""
        visible = super().visible_to(user).filter(status=StoredFile.Status.ACTIVE)
        if visible.index_scope:  # a member's: one owner, one status, as the indexes lead
            visible.index_scope = (*visible.index_scope, "status")
        return visible

    def bytes_used_by(self, user: User) -> int:
        """Bytes counted against the user's quota, pending uploads included."""
        return self.filter(owner=user).aggregate(total=Sum("size"))["total"] or 0


class StoredFile(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending upload"
        ACTIVE = "active", "Active"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the indexes below that start with owner serve its lookups.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="files", db_index=False
    )
    filename = models.CharField(max_length=FILENAME_MAX_LENGTH)
    object_key = models.CharField(max_length=512, unique=True, editable=False)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    # Empty for direct-to-bucket uploads: their bytes never pass through Keel.
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoredFileQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "file"
        # A member's list reads their active files: one index per ordering offered, led
        # by owner and status and ending with the id, the tie-break of the keyset pages.
        indexes = [
            models.Index(
                fields=["owner", "status", "-created_at", "-id"], name="file_owner_created"
            ),
            models.Index(fields=["owner", "status", "size", "id"], name="file_owner_size"),
            models.Index(fields=["owner", "status", "filename", "id"], name="file_owner_filename"),
            models.Index(fields=["owner", "content_type"], name="file_owner_type"),
            models.Index(fields=["status", "created_at"], name="file_status_created"),
        ]

    def __str__(self) -> str:
        return self.filename
