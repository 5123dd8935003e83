"""Targetprocess REST v1 XML: entities as elements, ResourceType, Id and Name as attributes."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET  # nosec B405  # builds XML, never parses it

from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework_xml.renderers import XMLRenderer as PlainXMLRenderer

ATTRIBUTE_KEYS = ("ResourceType", "Id", "Name")
# Characters XML 1.0 cannot carry at all, not even escaped (C0 controls but tab, CR and LF;
# lone surrogates; U+FFFE and U+FFFF): replaced so that any stored text renders well-formed.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_.\-]")


def xml_text(value: Any) -> str:
    """Return ``value`` as XML character data: booleans as true/false, unusable characters
    replaced by U+FFFD. Escaping of ``<``, ``&`` and quotes is left to ElementTree."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def xml_name(key: Any) -> str:
    """Return ``key`` as a valid XML element name (``$type`` becomes ``_type``)."""
    name = _NOT_NAME_CHAR.sub("_", str(key)) or "_"
    if not (name[0].isalpha() or name[0] == "_") or name.lower().startswith("xml"):
        name = f"_{name}"
    return name


def entity_element(tag: str, data: dict[str, Any]) -> ET.Element:
    """Return the element for one entity: scalar ResourceType, Id and Name as attributes,
    every other key as a child element."""
    element = ET.Element(xml_name(tag))
    for key, value in data.items():
        if key in ATTRIBUTE_KEYS and value is not None and not isinstance(value, dict | list):
            element.set(key, xml_text(value))
        else:
            _append(element, key, value)
    return element


def _append(parent: ET.Element, key: str, value: Any) -> None:
    if value is None:
        ET.SubElement(parent, xml_name(key), nil="true")
    elif isinstance(value, dict):
        parent.append(entity_element(key, value))
    elif isinstance(value, list | tuple):
        _append_items(ET.SubElement(parent, xml_name(key)), value)
    else:
        ET.SubElement(parent, xml_name(key)).text = xml_text(value)


def _append_items(parent: ET.Element, items: list | tuple) -> None:
    """Append each item as an element named by its ResourceType (``Item`` if it has none)."""
    for item in items:
        if isinstance(item, dict):
            parent.append(entity_element(str(item.get("ResourceType") or "Item"), item))
        else:
            _append(parent, "Item", item)


class XMLRenderer(PlainXMLRenderer):
    """The canonical API's XML (djangorestframework-xml's), with text XML can carry.

    A reply that echoes a control character from the request (a validation error quoting a
    bad redirect URI), or keys a list's errors by their index, made the plain renderer raise:
    a 500 instead of the 400.
    """

    def _to_xml(self, xml: Any, data: Any) -> None:
        if isinstance(data, str):
            data = _NOT_XML.sub("\ufffd", data)
        elif isinstance(data, dict):
            data = {xml_name(key): value for key, value in data.items()}
        super()._to_xml(xml, data)


class TargetprocessXMLRenderer(BaseRenderer):
    """Render Targetprocess entity dicts, and ``{"Items", "Next", "Prev"}`` collections.

    A collection's element is named by the view's ``xml_collection_tag`` (e.g.
    ``UserStories``), with ``Prev`` and ``Next`` as attributes. A dict without a
    ResourceType is an ``Error`` (status 400 and above) or a ``Response``.
    """

    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        root = self._root(data, renderer_context or {})
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)

    def _root(self, data: Any, context: dict[str, Any]) -> ET.Element:
        collection_tag = getattr(context.get("view"), "xml_collection_tag", "Items")
        if isinstance(data, list | tuple):
            root = ET.Element(xml_name(collection_tag))
            _append_items(root, data)
            return root
        if not isinstance(data, dict):
            root = ET.Element("Response")
            root.text = xml_text(data)
            return root
        if isinstance(data.get("Items"), list):
            return self._collection(collection_tag, data)
        if data.get("ResourceType"):
            return entity_element(str(data["ResourceType"]), data)
        response = context.get("response")
        failed = response is not None and response.status_code >= 400
        return entity_element("Error" if failed else "Response", data)

    def _collection(self, tag: str, data: dict[str, Any]) -> ET.Element:
        root = ET.Element(xml_name(tag))
        for key in ("Prev", "Next"):
            if data.get(key) is not None:
                root.set(key, xml_text(data[key]))
        _append_items(root, data["Items"])
        return root


class TargetprocessJSONRenderer(JSONRenderer):
    """The same entity dicts as JSON (``?format=json`` or ``Accept: application/json``)."""


RENDERERS = (TargetprocessXMLRenderer, TargetprocessJSONRenderer)
