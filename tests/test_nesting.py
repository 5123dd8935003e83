"""Bodies nested past the limit: a clear 400 on every endpoint that parses one, never a 500.

The endpoints come from the OpenAPI schema (every operation with a JSON or XML body), plus
the two that parse a body outside DRF's parsers: ``/graphql`` and ``/api/leaked-tokens``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import basic_header
from tokenward.nesting import MAX_DEPTH, TOO_DEEP, NestingError, check_json_depth, loads_json

DEEP = 1000


def _body_operations() -> list[tuple[str, str, str]]:
    """Return (method, path, media type) of each operation whose body is JSON or XML."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            found += [
                (method.upper(), path, media)
                for media in content
                if media in ("application/json", "application/xml")
            ]
    return found


BODY_OPERATIONS = _body_operations()


def deep_json(depth: int = DEEP) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def deep_xml(depth: int = DEEP) -> str:
    return "<root>" + "<a>" * depth + "x" + "</a>" * depth + "</root>"


@pytest.fixture
def objects(admin, make_project, make_story):
    project = make_project(leader=admin, created_by=admin)
    return {"users": admin.pk, "projects": project.pk, "stories": make_story(project).pk}


@pytest.fixture
def leak_secret(settings):
    value = secrets.token_urlsafe(32)
    settings.TOKENWARD = {**getattr(settings, "TOKENWARD", {}), "LEAK_REPORT_SECRET": value}
    return value


def _url(path: str, objects: dict[str, int]) -> str:
    for kind, pk in objects.items():
        path = path.replace(f"/{kind}/{{id}}", f"/{kind}/{pk}")
    return path


def test_the_table_covers_every_canonical_and_seed_body():
    paths = {path for _, path, _ in BODY_OPERATIONS}
    assert {"/api/tokens/", "/api/users/", "/api/v2/api-token-auth/", "/api/leaked-tokens"} <= paths
    assert "{" not in "".join(_url(p, {"users": 1, "projects": 1, "stories": 1}) for p in paths)


@pytest.mark.parametrize(("method", "path", "media"), BODY_OPERATIONS)
def test_a_body_nested_1000_levels_deep_is_a_400_on_every_endpoint(
    method, path, media, admin, objects, leak_secret
):
    body = (deep_json() if media == "application/json" else deep_xml()).encode()
    # Basic: the one credential every issuing endpoint lets through (``authn.issuing``).
    headers = {"HTTP_AUTHORIZATION": basic_header(admin.login, admin.raw_password)}
    if path == "/api/leaked-tokens":
        signature = hmac.new(leak_secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {"HTTP_X_TOKENWARD_SIGNATURE": f"sha256={signature}"}
    count = admin.personal_tokens.count()

    response = Client(raise_request_exception=False).generic(
        method, _url(path, objects), body, content_type=media, **headers
    )

    assert response.status_code == 400, response.content
    assert response.json() == {"detail": TOO_DEEP, "code": "parse_error"}
    assert admin.personal_tokens.count() == count  # nothing issued


def test_an_anonymous_deep_body_is_a_400_not_a_logged_traceback(db, caplog):
    response = Client(raise_request_exception=False).post(
        "/api/tokens", "[" * DEEP + "]" * DEEP, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP, "code": "parse_error"}
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize("where", ["variables", "extensions"])
def test_a_graphql_body_nested_1000_levels_deep_is_a_400(db, where):
    body = '{"query": "{ me { login } }", "' + where + '": ' + deep_json() + "}"

    response = Client(raise_request_exception=False).post(
        "/graphql", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP, "code": "invalid_request"}


def test_a_graphql_query_nested_1000_levels_deep_is_refused_by_the_parser(db):
    query = "{" + "me {" * DEEP + "login" + "}" * DEEP + "}"

    response = Client().post("/graphql", {"query": query}, content_type="application/json")

    assert response.status_code in (200, 400)
    assert "nested too deeply" in response.json()["errors"][0]["message"]


# --- the limit itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        '"' + "[" * 5000 + '"',  # brackets in a string do not nest
        '["\\"' + "[" * 5000 + '"]',  # nor after an escaped quote
        "[" + "[], " * 5000 + "[]]",  # many brackets, shallow
    ],
)
def test_bodies_within_the_limit_decode(text):
    assert loads_json(text) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    ["[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "[" * 100_000, '{"a":' * 5000, deep_json()],
)
def test_bodies_past_the_limit_are_refused_before_decoding(text):
    with pytest.raises(NestingError, match="nested more than"):
        loads_json(text)


def _nested(depth: int):
    return st.recursive(
        st.none() | st.integers() | st.text(alphabet='[]{}"\\ab'),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(alphabet='[]{}"\\ab', max_size=3), inner, max_size=3)
        ),
        max_leaves=depth,
    )


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(_nested(20), st.integers(0, 2 * MAX_DEPTH))
def test_the_counted_depth_is_the_decoded_depth(inner, wrappers):
    value = inner
    for _ in range(wrappers):
        value = [value] if wrappers % 2 else {"[{": value}
    text = json.dumps(value)
    if _depth(value) > MAX_DEPTH:
        with pytest.raises(NestingError):
            check_json_depth(text)
    else:
        check_json_depth(text)
        assert loads_json(text) == value
