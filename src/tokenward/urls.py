"""The URL map: canonical API, the seed documents' paths, GraphQL, schema and web pages."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from tokenward.metrics import metrics_view
from tokenward.oauth import urls as oauth_urls
from tokenward.tracker.graphql_view import GraphQLView
from tokenward.web import errors as web_errors
from tokenward.web.unavailable import server_error_or_unavailable

urlpatterns = [
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularRedocView.as_view(url_name="schema"), name="api-docs"),
    # Prometheus scrapes, outside /api/: a plain view with its own bearer token.
    path("metrics", metrics_view, name="metrics"),
    path("", include("tokenward.compat.urls")),
    path("api/", include("tokenward.tokens.urls")),
    path("api/", include("tokenward.audit.urls")),
    path("api/", include("tokenward.tracker.urls")),
    path("api/", include((oauth_urls.api_urlpatterns, "oauth-api"))),
    path("oauth/", include("tokenward.oauth.urls")),
    path("graphql", GraphQLView.as_view(), name="graphql"),
    path("", include("tokenward.web.urls")),
]


def _json_or_page(status: int, detail: str, code: str):
    def view(request: HttpRequest, exception: Exception | None = None):
        if web_errors.wants_json(request):
            return JsonResponse({"detail": detail, "code": code}, status=status)
        return web_errors.error_page(request, status, detail)

    return view


handler400 = _json_or_page(400, "The request is malformed.", "invalid_request")
handler403 = _json_or_page(
    403, "You do not have permission to perform this action.", "permission_denied"
)
handler404 = _json_or_page(404, "Not found.", "not_found")
handler500 = server_error_or_unavailable(
    _json_or_page(500, "The server failed to handle this request.", "server_error")
)
