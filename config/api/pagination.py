from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M``: 20 a page by default, never more than 100.

    A ``page_size`` that is not a positive whole number is a 400 (DRF would silently use
    the default); a larger one is capped. A page past the end is a 404.
    """

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = int(raw) if raw.isdecimal() else 0
        if size < 1:
            raise ValidationError(
                {self.page_size_query_param: ["Enter a whole number from 1 upwards."]},
                code="invalid",
            )
        return min(size, self.max_page_size)
