"""What storage does when a lower app tells it something happened (see ``apps.py``)."""

from storage import services


def delete_files_of_removed_user(sender, *, user, **kwargs) -> None:
    # The rows would cascade with the user; the objects in storage would not.
    services.files_delete_for_owner(owner=user)
