"""httpx authentication for every credential a tokenward server accepts.

Each scheme is an ``httpx.Auth``: pass it as ``httpx.Client(auth=...)`` (or
``AsyncClient``). The ``obtain_*`` helpers trade a login and password for a token.
Nothing here imports Django: the package talks to tokenward only over HTTP.
"""

from tokenward_client.basic import BasicAuth
from tokenward_client.errors import (
    InvalidResponseError,
    LoginError,
    RefusedError,
    TokenRefreshError,
    TokenwardError,
)
from tokenward_client.oauth2 import OAuth2Auth, OAuth2Tokens
from tokenward_client.offline import OfflineTokenAuth
from tokenward_client.session import SessionAuth, login_session
from tokenward_client.tokens import PersonalToken, ServiceToken, obtain_service_token
from tokenward_client.trialgrid import obtain_trialgrid_token, revoke_trialgrid_tokens
from tokenward_client.tuleap import TuleapToken, end_tuleap_token, obtain_tuleap_token

__version__ = "0.1.0"

__all__ = [
    "BasicAuth",
    "InvalidResponseError",
    "LoginError",
    "OAuth2Auth",
    "OAuth2Tokens",
    "OfflineTokenAuth",
    "PersonalToken",
    "RefusedError",
    "ServiceToken",
    "SessionAuth",
    "TokenRefreshError",
    "TokenwardError",
    "TuleapToken",
    "end_tuleap_token",
    "login_session",
    "obtain_service_token",
    "obtain_trialgrid_token",
    "obtain_tuleap_token",
    "revoke_trialgrid_tokens",
]
