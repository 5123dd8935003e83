"""Paging as the seeds do it: Targetprocess ``take``/``skip``, YouTrack ``$top``/``$skip``."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from tokenward.conf import setting

MAX_COUNT = 999_999_999
_COUNT = re.compile(r"[0-9]{1,9}")


def parse_count(request: Request, name: str, *, default: int | None, minimum: int) -> int | None:
    """Return the whole number in query parameter ``name``, or ``default`` if it is absent.

    Raise ``ValidationError`` (400) if it is not a whole number from ``minimum`` to 999999999.
    """
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _COUNT.fullmatch(raw) or int(raw) < minimum:
        raise ValidationError(
            {name: [f"{name} must be a whole number from {minimum} to {MAX_COUNT}."]}
        )
    return int(raw)


class TakeSkipPagination(BasePagination):
    """Targetprocess REST v1: ``take`` (default 25, capped at 1000) items after ``skip``.

    The page is ``{"Prev": url, "Next": url, "Items": [...]}``; each link is present only
    when there is such a page, and keeps the request's other query parameters.
    """

    default_take = 25
    max_take = 1000

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        take = parse_count(request, "take", default=self.default_take, minimum=1)
        self.take = min(take, self.max_take)
        self.skip = parse_count(request, "skip", default=0, minimum=0)
        # One row more than asked says whether there is a next page without a COUNT query.
        rows = list(queryset[self.skip : self.skip + self.take + 1])
        self.has_next = len(rows) > self.take
        return rows[: self.take]

    def get_paginated_response(self, data: list[Any]) -> Response:
        body: dict[str, Any] = {}
        if self.skip > 0:
            body["Prev"] = self._link(max(self.skip - self.take, 0))
        if self.has_next:
            body["Next"] = self._link(self.skip + self.take)
        body["Items"] = data
        return Response(body)

    def _link(self, skip: int) -> str:
        url = self.request.build_absolute_uri()
        # Query-string credentials are not copied into Next/Prev links: a link in a body is
        # easily logged or shared. Clients add their credential to each request.
        for name in setting("QUERY_CREDENTIAL_PARAMETERS"):
            url = remove_query_param(url, name)
        url = replace_query_param(url, "take", self.take)
        return replace_query_param(url, "skip", skip)


class TopSkipPagination(BasePagination):
    """YouTrack: ``$top`` items (all if absent) after ``$skip``; the page is a plain list."""

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any]:
        top = parse_count(request, "$top", default=None, minimum=0)
        skip = parse_count(request, "$skip", default=0, minimum=0)
        return list(queryset[skip:] if top is None else queryset[skip : skip + top])

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(data)
