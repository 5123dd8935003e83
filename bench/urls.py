"""The same small endpoint, mounted once per authentication scheme under test."""

from __future__ import annotations

from django.urls import URLPattern, path
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


def _mount(
    name: str, authentication: list[type[BaseAuthentication]], permission: type[BasePermission]
) -> URLPattern:
    view = WhoAmI.as_view(authentication_classes=authentication, permission_classes=[permission])
    # Under /api/, as tokenward's own API: web pages refuse query-string credentials.
    return path(f"api/bench/{name}/", view, name=name)


urlpatterns = [
    _mount("floor", [], AllowAny),
    _mount("given-user", [GivenUserAuthentication], IsAuthenticated),
    _mount("tokenward", [PipelineAuthentication], IsAuthenticated),
    _mount("drf", [TokenAuthentication], IsAuthenticated),
    _mount("drf-basic", [BasicAuthentication], IsAuthenticated),
    _mount("knox", [KnoxTokenAuthentication], IsAuthenticated),
    _mount("dot", [OAuth2Authentication], IsAuthenticated),
    _mount("simplejwt", [JWTAuthentication], IsAuthenticated),
]
