"""The OAuth2 API: applications one manages, and the applications one has authorized.

``/api/oauth-applications`` registers an application (site administrators, or a project's
leader for their project; the client secret is in that reply only). ``/api/oauth-
authorizations`` lists the applications holding a live token of the caller and revokes
one application's tokens, as a user of GitHub's or Tuleap's "authorized applications" does.
"""

from __future__ import annotations

from typing import Any

from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tokenward.authn.client import client_info
from tokenward.authn.issuing import Issuing, check_request_may_issue
from tokenward.oauth import services
from tokenward.tokens.serializers import RevokedCountSerializer, TokenErrorSerializer
from tokenward.tracker.serializers import VisibleProjectField
from tokenward.web.security import issuing_reply

METHOD = "api"
ERRORS = {400: TokenErrorSerializer, 403: TokenErrorSerializer, 404: TokenErrorSerializer}
APPLICATION_ID = OpenApiParameter(
    "application_id", int, OpenApiParameter.PATH, description="The application's id."
)


class ApplicationRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    redirect_uris = serializers.ListField(child=serializers.CharField(max_length=500), min_length=1)
    client_type = serializers.ChoiceField(choices=services.CLIENT_TYPES)
    # A private project the caller may not read is an unknown id (400), as everywhere else:
    # a 403 would tell a stranger that it exists.
    project = VisibleProjectField(required=False, allow_null=True)


class ApplicationSerializer(serializers.Serializer):
    """A registered application; never its client secret."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    client_id = serializers.CharField()
    client_type = serializers.ChoiceField(choices=services.CLIENT_TYPES)
    grant_type = serializers.CharField(source="authorization_grant_type")
    redirect_uris = serializers.SerializerMethodField()
    project = serializers.SerializerMethodField()

    def get_redirect_uris(self, app: Any) -> list[str]:
        return app.redirect_uris.split()

    def get_project(self, app: Any) -> int | None:
        link = getattr(app, "tokenward_link", None)
        return link.project_id if link is not None else None


class RegisteredApplicationSerializer(ApplicationSerializer):
    client_secret = serializers.CharField(
        required=False,
        help_text="Confidential clients only: shown in this reply and never again.",
    )


class AuthorizationSerializer(serializers.Serializer):
    application_id = serializers.IntegerField()
    client_id = serializers.CharField()
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    authorized_at = serializers.DateTimeField(help_text="Its oldest live token's creation.")
    last_refreshed_at = serializers.DateTimeField(help_text="Its newest token's last change.")

    def to_representation(self, instance: services.Authorization) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["scopes"] = sorted(instance.scopes)
        return data


@method_decorator(issuing_reply, name="dispatch")  # a registration shows the client secret
class ApplicationListView(APIView):
    """``/api/oauth-applications``: list the applications you manage; register one."""

    @extend_schema(responses={200: ApplicationSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The applications the caller manages: all for administrators, else their projects'."""
        apps = services.applications_for(request.user)
        return Response(ApplicationSerializer(apps, many=True).data)

    @extend_schema(
        request=ApplicationRequestSerializer,
        responses={201: RegisteredApplicationSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        """Register an authorization-code application; the reply holds its secret, once."""
        check_request_may_issue(request, Issuing.OAUTH_APPLICATION)
        serializer = ApplicationRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            registered = services.register_application(
                request.user,
                name=data["name"],
                redirect_uris=data["redirect_uris"],
                client_type=data["client_type"],
                project=data.get("project"),
                client=client_info(request, METHOD),
            )
        except services.ApplicationNotPermittedError as exc:
            raise PermissionDenied(str(exc)) from None
        except services.ApplicationRequestError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        if registered.client_secret is None:  # a public client has no usable secret
            body = ApplicationSerializer(registered.application).data
        else:
            registered.application.client_secret = registered.client_secret
            body = RegisteredApplicationSerializer(registered.application).data
        return Response(body, status=status.HTTP_201_CREATED)


class AuthorizationListView(APIView):
    """``/api/oauth-authorizations``: the applications holding a live token of yours."""

    @extend_schema(responses={200: AuthorizationSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The applications the caller authorized whose tokens still work, by name."""
        authorizations = services.authorizations_of(request.user)
        return Response(AuthorizationSerializer(authorizations, many=True).data)


class AuthorizationDetailView(APIView):
    """``/api/oauth-authorizations/{application_id}``: withdraw one application's access."""

    @extend_schema(parameters=[APPLICATION_ID], responses={200: RevokedCountSerializer, **ERRORS})
    def delete(self, request: Request, application_id: str) -> Response:
        """Revoke every access and refresh token the caller granted this application."""
        revoked = services.revoke_authorization(
            request.user,
            application_id=int(application_id),
            by=request.user,
            client=client_info(request, METHOD),
            reason="user",
        )
        if not revoked:
            raise NotFound("This application holds no live token of yours.")
        return Response(RevokedCountSerializer({"revoked": revoked}).data)
