"""``/graphql``: strawberry's view behind the same authentication pipeline as the REST API."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from drf_spectacular.utils import extend_schema
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView
from strawberry.django.views import GraphQLView as StrawberryView

from tokenward.credentials.scopes import Scope
from tokenward.errors import ErrorCode
from tokenward.nesting import NestingError, loads_json
from tokenward.tracker.graphql_schema import schema
from tokenward.web.cookieless import AnyAcceptJSON

_CODES = {
    400: ErrorCode.INVALID_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
}


def _error(status: int, reason: str) -> JsonResponse:
    detail = reason if reason.endswith(".") else f"{reason}."
    code = _CODES.get(status, ErrorCode.INVALID_REQUEST)
    return JsonResponse({"detail": detail, "code": str(code)}, status=status)


class StrawberryGraphQLView(StrawberryView):
    """Strawberry's sync view, answering its own HTTP errors in tokenward's error body."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return self.run(request=request)
        except HTTPException as exc:
            return _error(exc.status_code, exc.reason)
        except UnicodeDecodeError:
            return _error(400, "The request body is not valid UTF-8")

    def decode_json(self, data: str | bytes) -> object:
        try:
            decoded = loads_json(data)
        except NestingError as exc:
            raise HTTPException(400, str(exc)) from None
        if not isinstance(decoded, dict):
            # Strawberry expects an object here and would fail with a 500 on anything else.
            raise HTTPException(400, "The request body must be a JSON object")
        return decoded

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        get_token(request)  # GraphiQL sends the CSRF cookie back as X-CSRFToken
        return super().render_graphql_ide(request)


_strawberry = StrawberryGraphQLView.as_view(schema=schema)


def _has_mutation(request: Request) -> bool:
    django_request = request._request
    if django_request.method == "GET":
        query = django_request.GET.get("query", "")
    else:
        try:
            body = loads_json(django_request.body or b"{}")
        except (ValueError, UnicodeDecodeError):  # NestingError too
            return False  # strawberry answers the malformed body itself
        query = body.get("query") if isinstance(body, dict) else None
    if not isinstance(query, str):
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False
    return any(
        isinstance(node, OperationDefinitionNode) and node.operation is OperationType.MUTATION
        for node in document.definitions
    )


# GraphQL describes itself (introspection); it has no place in the OpenAPI document.
@extend_schema(exclude=True)
class GraphQLView(APIView):
    """Authenticate with tokenward's pipeline, then let strawberry run the operation.

    DRF's authentication, the session transport's CSRF check and the exception handler
    apply unchanged; the resolvers apply the tracker's access rules. Anonymous requests
    are allowed: they read public projects. The body is left unread for strawberry.
    """

    permission_classes: list[type] = []
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAcceptJSON  # GraphQL errors are JSON too

    def required_scope(self, request: Request) -> Scope:
        """A mutation needs the write scope; a query, over GET or POST, needs read."""
        return Scope.WRITE if _has_mutation(request) else Scope.READ

    def get(self, request: Request) -> HttpResponseBase:
        return self._run(request)

    def post(self, request: Request) -> HttpResponseBase:
        return self._run(request)

    def _run(self, request: Request) -> HttpResponseBase:
        django_request = request._request
        django_request.user = request.user
        return _strawberry(django_request)
