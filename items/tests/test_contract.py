"""Items keep the owned-resource contract (resources/contract.py)."""

from resources.contract import OwnedResourceContract


class TestItemContract(OwnedResourceContract):
    url = "/api/v1/items/"
    model = "items.Item"
    create_body = {"title": "Buy milk", "description": "Two litres"}
    update_body = {"title": "Buy oat milk"}
    extra_invalid_filters = [{"is_completed": "maybe"}, {"search": "x" * 201}]
