from django.urls import path

from bench import floors
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/items/", floors.items, name="bench-item-list"),
    path("bench/items/<uuid:item_id>/", floors.item_detail, name="bench-item-detail"),
    *product_urlpatterns,
]
