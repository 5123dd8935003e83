"""The credentials a query string carries, read once per request for everyone who asks.

The middleware that keeps such replies private, the pipeline that finds the credential and
the transport that takes it all ask ``query_credentials``; transports never read the
credential from ``request.GET``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, QueryDict

from tokenward.conf import setting

_READ = "tokenward_query_credentials"


def query_credentials(request: HttpRequest) -> dict[str, list[str]]:
    """Return each credential parameter (``QUERY_CREDENTIAL_PARAMETERS``) of the query
    string with its values in order; empty when it names none.

    A query string that is one credential and nothing else (``?token=…``, what
    Targetprocess's and Excel's clients send) is parsed here, by the parser and options
    Django's ``QueryDict`` uses, and ``request.GET`` is left empty: building the
    ``QueryDict`` of it cost as much again as verifying the token. Every other query
    string is read through ``request.GET``, as Django parses it.
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
    name = query.partition("=")[0]
    # The name as written is the name parse_qsl decodes: no escape, no "+".
    if name in names and "&" not in query and query.isascii():
        try:
            pairs = parse_qsl(
                query, keep_blank_values=True, max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            )
        except ValueError:  # over Django's field limit: request.GET below refuses it
            pairs = None
        if pairs is not None:
            request.GET = QueryDict()  # the credential was all there was
            return {name: [value for _, value in pairs]}
    parsed = request.GET
    return {name: parsed.getlist(name) for name in names if name in parsed}
