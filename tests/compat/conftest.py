"""Helpers for the seed paths' tests: parse XML strictly, ask for JSON."""

from __future__ import annotations

from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring

JSON = {"HTTP_ACCEPT": "application/json"}


def xml_of(response) -> Element:
    """Return the root element of an XML response; fail unless it is well-formed XML."""
    assert response["Content-Type"].startswith("application/xml"), response["Content-Type"]
    return fromstring(response.content)


def children(element: Element) -> dict[str, Element]:
    """Return the child elements of ``element`` by tag; fail on a repeated tag."""
    tags = [child.tag for child in element]
    assert len(tags) == len(set(tags)), tags
    return {child.tag: child for child in element}


@pytest.fixture
def as_session(db):
    """Return a client logged in with a session cookie as ``user``."""
    from rest_framework.test import APIClient

    def client(user) -> APIClient:
        c = APIClient(enforce_csrf_checks=True)
        c.force_login(user)
        return c

    return client
