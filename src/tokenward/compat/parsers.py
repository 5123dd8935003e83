"""XML request bodies (Targetprocess clients send them), read as text like form fields."""

from __future__ import annotations

from typing import Any

from rest_framework_xml.parsers import XMLParser as GuessingXMLParser


class XMLParser(GuessingXMLParser):
    """djangorestframework-xml's parser without its type guessing.

    It turns ``<login>007</login>`` into the number 7 and text that looks like a date into a
    naive datetime, so a login or token name made of digits was refused as "not a string".
    XML carries no types: each serializer field converts the text, as it does a form field's.
    """

    def _type_convert(self, value: Any) -> Any:
        return value
