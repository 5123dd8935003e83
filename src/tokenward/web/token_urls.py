"""URLs of the token pages (owned by the token pages' module) and of the step-up page."""

from django.urls import path, re_path

from tokenward.web import step_up, token_pages, views
from tokenward.web.security import credential_page

# At most 18 digits: beyond that there is no row, and SQLite overflows.
ID = r"(?P<{}>[0-9]{{1,18}})"

# The e-mail's revoke link keeps its view (in views.py, shared with other work); the token
# pages' guard is put around it here: no-store, CSP, login, a fresh password confirmation.
revoke_personal_token = credential_page(step_up.step_up_required(views.revoke_token))

urlpatterns = [
    path("profile/tokens/", token_pages.tokens_page, name="tokens"),
    path("profile/confirm-password/", step_up.confirm_password, name="step-up"),
    path(
        "profile/tokens/revoke-all/",
        token_pages.revoke_all_personal_tokens,
        name="revoke-all-tokens",
    ),
    path("profile/tokens/offline/", token_pages.create_offline_token, name="create-offline-token"),
    re_path(
        rf"^profile/tokens/offline/{ID.format('token_id')}/revoke/$",
        token_pages.revoke_offline_token,
        name="revoke-offline-token",
    ),
    re_path(
        rf"^profile/tokens/applications/{ID.format('application_id')}/revoke/$",
        token_pages.revoke_application,
        name="revoke-application",
    ),
    re_path(
        rf"^profile/tokens/{ID.format('token_id')}/rotate/$",
        token_pages.rotate_personal_token,
        name="rotate-token",
    ),
    re_path(
        rf"^profile/tokens/{ID.format('token_id')}/revoke/$",
        revoke_personal_token,
        name="revoke-token",
    ),
]
