import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from resources.models import OwnedQuerySet

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000


class Item(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: every index below starts with owner and serves its lookups.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH, validators=[MinLengthValidator(1)])
    # TextField's max_length only sizes form widgets; the validator makes full_clean enforce it.
    description = models.TextField(
        max_length=DESCRIPTION_MAX_LENGTH,
        blank=True,
        validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)],
    )
    is_completed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # One index per filter and ordering the API offers, each led by owner because
        # members only ever read their own rows; the last one serves staff reading all.
        # An ordering's index ends with the id, the tie-break of the keyset pages
        # (config.api.keyset): a page seeks to its cursor and reads no row before it.
        indexes = [
            models.Index(fields=["owner", "-created_at", "-id"], name="item_owner_created"),
            models.Index(fields=["owner", "is_completed"], name="item_owner_completed"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="item_owner_updated"),
            models.Index(fields=["owner", "title", "id"], name="item_owner_title"),
            models.Index(fields=["-created_at", "-id"], name="item_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("title")), 0), name="item_title_not_blank"
            ),
            models.CheckConstraint(
                condition=models.Q(is_completed=True, completed_at__isnull=False)
                | models.Q(is_completed=False, completed_at__isnull=True),
                name="item_completed_at_matches_flag",
            ),
        ]

    def __str__(self) -> str:
        return self.title
