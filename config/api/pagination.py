from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

# The largest page or page_size read: a bound on the digits parsed (int() refuses more
# than 4,300), documented as the schema's maximum.
MAX_QUERY_NUMBER = 10**18 - 1

if TYPE_CHECKING:
    # Not at run time: importing DRF's views imports the classes the settings name.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M``: 20 a page by default, never more than 100.

    A ``page`` or ``page_size`` that is not a positive whole number is a 400 (DRF would
    answer 404 for one and silently use the default for the other); a ``page_size``
    above the maximum is capped. A page past the end is a 404.
    """

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: "Request") -> int | None:
        size = _positive_number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request: "Request", paginator: Paginator) -> int:
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            return paginator.num_pages
        return _positive_number(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view: "APIView") -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            parameter["schema"]["maximum"] = MAX_QUERY_NUMBER
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page, {self.page_size} unless asked; "
                    f"more than {self.max_page_size} is capped at {self.max_page_size}."
                )
        return parameters


def _positive_number(request: "Request", name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    # Bounded before int(): Python refuses to parse numbers of more than 4,300 digits.
    number = int(raw) if raw.isdecimal() and len(raw) <= len(str(MAX_QUERY_NUMBER)) else 0
    if number < 1:
        raise ValidationError({name: ["Enter a whole number from 1 upwards."]}, code="invalid")
    return number
