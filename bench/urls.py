"""The same small endpoint, mounted once per authentication scheme under test."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.authentication import (
    BaseAuthentication,
    BasicAuthentication,
    TokenAuthentication,
)
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from tokenward.authn.pipeline import PipelineAuthentication


class WhoAmI(APIView):
    """Say who the request is from: the whole body, shared by every variant."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True, "user": request.user.pk})


class GivenUserAuthentication(BaseAuthentication):
    """Authenticate every request as ``user`` without looking at it: what DRF's path of an
    authenticated request costs by itself (``bench.fixtures`` sets the user)."""

    user = None

    def authenticate(self, request: Request) -> tuple[object, None]:
        return self.user, None


def _view(
    authentication: list[type[BaseAuthentication]], permission: type[BasePermission]
) -> Callable[..., HttpResponse]:
    return WhoAmI.as_view(authentication_classes=authentication, permission_classes=[permission])


VIEWS = {
    "floor": _view([], AllowAny),
    "given-user": _view([GivenUserAuthentication], IsAuthenticated),
    "tokenward": _view([PipelineAuthentication], IsAuthenticated),
    "drf": _view([TokenAuthentication], IsAuthenticated),
    "drf-basic": _view([BasicAuthentication], IsAuthenticated),
    "knox": _view([KnoxTokenAuthentication], IsAuthenticated),
    "dot": _view([OAuth2Authentication], IsAuthenticated),
    "simplejwt": _view([JWTAuthentication], IsAuthenticated),
}


def by_scheme(request: HttpRequest, scheme: str) -> HttpResponse:
    """Hand the request to the scheme's view: one URL pattern, so that every variant costs
    the URL resolver the same (a list of patterns would favour the first ones)."""
    view = VIEWS.get(scheme)
    if view is None:
        raise Http404(scheme)
    return view(request)


def bench_url(scheme: str) -> str:
    """Return the path of the endpoint behind ``scheme``'s authentication."""
    return reverse("bench", args=[scheme])


# Under /api/, as tokenward's own API: web pages refuse query-string credentials.
urlpatterns = [path("api/bench/<slug:scheme>/", by_scheme, name="bench")]
