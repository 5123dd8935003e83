"""The DRF field for an id written in a request body: a whole number, as the schema says.

DRF's ``PrimaryKeyRelatedField`` hands whatever the client sent to the ORM, which calls
``int()`` on it: ``1.5`` named row 1, ``true`` row 1, ``"\\u0661"`` (Arabic-Indic one) row 1.
JSON carries types, so an id there is a JSON integer and nothing else. Form fields and XML
carry only text, so there an id is the text of 1 to 18 ASCII digits (``ids.parse_id``).
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.parsers import JSONParser

from tokenward.ids import MAX_ID, parse_id


def _typed_body(context: dict[str, Any]) -> bool:
    """Whether the request's body was JSON (typed). Without a request, assume it was."""
    request = context.get("request")
    if request is None or not hasattr(request, "negotiator"):
        return True
    parser = request.negotiator.select_parser(request, request.parsers)
    return parser is None or isinstance(parser, JSONParser)


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A row named by its id: a JSON integer, or the digits of one in a form or XML body."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not _typed_body(self.context):
            pk = parse_id(data)
            if pk is None:
                self.fail("incorrect_type", data_type="text that is not a whole number")
        elif isinstance(data, int) and not isinstance(data, bool):
            pk = data
        else:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 <= pk <= MAX_ID:  # no row has it; SQLite could not even bind it
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(pk)
