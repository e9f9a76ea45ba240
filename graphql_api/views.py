"""``POST /api/graphql/``: a DRF view, so REST's authentication and throttles apply as they are.

DRF authenticates the request (JWT, API keys) and counts it in the same throttle buckets
as a REST request of the same client before the operation runs; a request it refuses (a
bad token, a throttled client, a body too large or not JSON) is answered with REST's
HTTP status and headers and a GraphQL ``errors`` list. What the operation answers is
``graphql_api.execution``'s.

GraphiQL is served on ``GET`` with ``DEBUG`` on, from files shipped in this app.

Nothing here imports strawberry or the schema: the URLconf imports this module, and a
process serving only REST never loads them (``graphql_api.execution`` is imported on the
first GraphQL request).
"""

import json
from typing import Any, cast

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import MethodNotAllowed, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.exceptions import PayloadTooLarge
from config.api.parsers import JSONParser, content_length
from config.api.serializers import InputSerializer


class GraphQLBodyParser(JSONParser):
    """REST's JSON parser, with the (smaller) GraphQL body limit ``GRAPHQL_MAX_BODY_BYTES``."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        if content_length(parser_context["request"].META) > settings.GRAPHQL_MAX_BODY_BYTES:
            raise PayloadTooLarge(
                f"A GraphQL request body may have at most {settings.GRAPHQL_MAX_BODY_BYTES} "
                "bytes (GRAPHQL_MAX_BODY_BYTES)."
            )
        return super().parse(stream, media_type, parser_context)


class GraphQLRequestSerializer(InputSerializer):
    """A GraphQL-over-HTTP request body; ``extensions`` is accepted and not used."""

    query = serializers.CharField(trim_whitespace=False)
    variables = serializers.DictField(required=False, allow_null=True)
    operationName = serializers.CharField(  # noqa: N815 - the protocol's own name
        required=False, allow_null=True, trim_whitespace=False
    )
    extensions = serializers.DictField(required=False, allow_null=True)


@extend_schema(exclude=True)  # described by schema.graphql, not by the OpenAPI document
class GraphQLView(APIView):
    # Each root field authorizes itself (graphql_api.permissions): one request may mix
    # fields an API key may and may not run, and the answer names each refusal.
    permission_classes = [AllowAny]
    parser_classes = [GraphQLBodyParser]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Answers are JSON whatever Accept asks for (a browser opening GraphiQL asks for
        # HTML first): GraphQL over HTTP has no other representation to offer.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request: Request) -> HttpResponse:
        if not settings.DEBUG:
            raise MethodNotAllowed(cast(str, request.method))
        return render(request, "graphql_api/graphiql.html")

    def post(self, request: Request) -> JsonResponse:
        if not isinstance(request.data, dict):
            raise ValidationError("Send one GraphQL request, as a JSON object.")
        body = GraphQLRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        from graphql_api.execution import execute  # the first GraphQL request loads it

        return execute(
            request,
            query=body.validated_data["query"],
            variables=body.validated_data.get("variables"),
            operation_name=body.validated_data.get("operationName"),
        )

    def handle_exception(self, exc: Exception) -> Response:
        # REST's answer (its status, Retry-After, WWW-Authenticate), in GraphQL's shape.
        response = super().handle_exception(exc)
        problem = json.loads(response.content)
        extensions = {"code": problem["code"], "status": problem["status"]}
        if problem["errors"]:
            extensions["errors"] = problem["errors"]
        entry = {"message": problem["detail"], "extensions": extensions}
        headers = {
            header: response[header]
            for header in ("Retry-After", "WWW-Authenticate", "Allow")
            if header in response
        }
        return Response({"errors": [entry]}, status=response.status_code, headers=headers)
