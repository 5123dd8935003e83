"""The credentials a query string carries, read once per request for everyone who asks.

The middleware that keeps such replies private, the pipeline that finds the credential and
the transport that takes it all ask ``query_credentials``; transports never read the
credential from ``request.GET``.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, QueryDict

from tokenward.conf import setting

_READ = "tokenward_query_credentials"


def query_credentials(request: HttpRequest) -> dict[str, list[str]]:
    """Return each credential parameter (``QUERY_CREDENTIAL_PARAMETERS``) of the query
    string with its values in order; empty when it names none.

    A query string that is one credential and nothing else (``?token=…``, what
    Targetprocess's and Excel's clients send) is decoded here as Django's parser decodes
    it, and ``request.GET`` is left empty: building the ``QueryDict`` of it cost as much
    again as verifying the token. Every other query string is read through
    ``request.GET``, as Django parses it.
    """
    found = request.__dict__.get(_READ)
    if found is None:
        found = request.__dict__[_READ] = _read(request)
    return found


def _read(request: HttpRequest) -> dict[str, list[str]]:
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return {}
    names = setting("QUERY_CREDENTIAL_PARAMETERS")
    name, _, value = query.partition("=")
    # One field whose name, as written, is a credential's (no escape, no "+" to decode): what
    # parse_qsl makes of it is that name and unquote_plus(value). Django's field limit can
    # refuse one field only when it is 0: then request.GET below refuses it.
    if name in names and "&" not in query and query.isascii() and _one_field_allowed():
        request.GET = QueryDict()  # the credential was all there was
        return {name: [unquote_plus(value)]}
    parsed = request.GET
    return {name: parsed.getlist(name) for name in names if name in parsed}


def _one_field_allowed() -> bool:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return limit is None or limit >= 1
