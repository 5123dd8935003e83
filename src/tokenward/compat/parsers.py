"""The API's body parsers: JSON, and XML (Targetprocess clients send it), both depth-limited."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser
from rest_framework_xml.compat import etree
from rest_framework_xml.parsers import XMLParser as GuessingXMLParser

from tokenward.nesting import NestingError, check_json_depth, check_xml_depth


class JSONParser(DRFJSONParser):
    """DRF's JSON parser, refusing a body nested past ``nesting.MAX_DEPTH`` before decoding."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None):
        raw = stream.read()
        try:
            check_json_depth(raw)
        except NestingError as exc:
            raise ParseError(str(exc)) from None
        return super().parse(io.BytesIO(raw), media_type, parser_context)


class XMLParser(GuessingXMLParser):
    """djangorestframework-xml's parser without its type guessing, and depth-limited.

    It turns ``<login>007</login>`` into the number 7 and text that looks like a date into a
    naive datetime, so a login or token name made of digits was refused as "not a string".
    XML carries no types: each serializer field converts the text, as it does a form field's.
    Its converter recurses once per level: the tree's depth is checked before it runs.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            tree = etree.parse(
                stream, parser=etree.DefusedXMLParser(encoding=encoding), forbid_dtd=True
            )
        except (etree.ParseError, ValueError) as exc:
            raise ParseError(f"XML parse error - {exc}") from None
        root = tree.getroot()
        try:
            check_xml_depth(root)
        except NestingError as exc:
            raise ParseError(str(exc)) from None
        return self._xml_convert(root)

    def _type_convert(self, value: Any) -> Any:
        return value
