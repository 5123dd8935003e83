"""schemathesis over the whole OpenAPI schema, in process: no 5xx, no reply the schema denies.

Security check 28. Every operation of ``/api/schema`` is called through the WSGI app with
generated data, valid and invalid, as an administrator holding a fresh read-and-write
personal access token, and every reply is held to every check schemathesis has: no server
error; status code, content type, headers and body as documented; invalid data refused;
authentication enforced (each authenticated success is re-sent without credentials and with
wrong ones, and must then be refused). Nothing is excluded: operations that revoke the
caller's tokens, change its password or switch its token permission run too, and each
generated case starts from a usable credential again.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, use_after_free

from tests.conftest import basic_header
from tokenward.audit.services import ClientInfo
from tokenward.wsgi import application

pytestmark = pytest.mark.django_db

CONFIG = SchemathesisConfig.from_dict(
    {
        # The test sends one real credential itself. Generated values for the other schemes
        # would make every request carry several, which is refused (400) by design.
        "generation": {"with-security-parameters": False},
        "checks": {
            "positive_data_acceptance": {
                # A schema-valid body can still break a rule no schema states: a login or
                # short name already taken, a foreign key to nothing, an expiry in the past,
                # ``until`` before ``since``, a wrong password on the password endpoints.
                # Those are 400 with a field error; every other refusal still fails.
                "expected-statuses": ["2xx", "3xx", 400, 401, 403, 404, 409, 429],
            }
        },
    }
)


def _served_schema() -> dict[str, Any]:
    """Return the document ``/api/schema`` serves, made without a request.

    Made at collection, where a request through the app would open a database connection
    outside the test database (PostgreSQL); ``test_the_fuzzed_schema_is_the_served_one``
    holds it to the served document.
    """
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


SCHEMA_DOCUMENT = _served_schema()
# A copy: schemathesis adds the links it infers to the document it is given.
schema = schemathesis.openapi.from_dict(copy.deepcopy(SCHEMA_DOCUMENT), config=CONFIG)
schema.app = application  # every call goes through the WSGI app, in this process

FUZZ = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Keep the test's database connection open across calls through the WSGI app.

    The app ends each request by closing a connection that is inside a transaction, which
    would end the test's transaction on PostgreSQL. Django's own test client detaches the
    same receiver while it runs a request.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_lockout(settings):
    """Each wrong-credential probe is judged on its credential (401), not on how many came
    before it (429): the lockout has its own tests, and the probes share one address."""
    settings.TOKENWARD = {
        **getattr(settings, "TOKENWARD", {}),
        "LOCKOUT_ACCOUNT_FAILURES": 1_000_000,
        "LOCKOUT_ACCOUNT_TOTAL_FAILURES": 1_000_000,
        "LOCKOUT_ADDRESS_FAILURES": 1_000_000,
    }


# The administrator of the running test; the auth provider below issues their tokens.
_caller: dict[str, Any] = {}


@pytest.fixture
def actor(make_user):
    """The only active administrator: the last one cannot be deactivated or demoted."""
    _caller["actor"] = make_user("fuzzer", role="administrator", email="fuzzer@example.com")
    yield _caller["actor"]
    _caller.clear()


@schema.auth(refresh_interval=None)
class FreshPersonalToken:
    """Each case is sent with a new read-and-write token of the actor's, as a Bearer token.

    schemathesis knows it as the run's credential: ``ignored_auth`` re-sends each success
    without it and with wrong ones, and stops at nothing else.
    """

    def get(self, case: Any, context: Any) -> str:
        if "actor" not in _caller:
            # At collection schemathesis calls it to see which schemes it fills; no request.
            return "not-a-token"
        return _fresh_token(_caller["actor"])

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _fresh_token(actor) -> str:
    """Keep ``actor`` able to use tokens and return a new token of theirs.

    A generated case may switch the actor's token permission off or revoke all their
    tokens (both are operations under test); each case starts from a usable credential.
    """
    from tokenward.accounts import services as accounts
    from tokenward.tokens.personal import issue_personal_token

    actor.refresh_from_db()
    if not actor.can_use_api_tokens:
        accounts.update_account(
            actor, {"can_use_api_tokens": True}, by=actor, client=ClientInfo(method="test")
        )
    issued = issue_personal_token(
        actor,
        name=f"fuzz {actor.personal_tokens.count()}",
        client=ClientInfo(method="test"),
    )
    return issued.plaintext


def _untyped_negation(case) -> bool:
    """Whether ``case`` has an invalid XML body.

    XML carries no types: a ``null`` or a number where a string belongs is sent as the text
    ``null`` or ``0``, which is a valid string, and an empty document reads as no fields.
    schemathesis allows for this with plain text and forms but not with XML, so such a body
    is not invalid data on the wire. (The same operation's JSON and form cases still have
    every invalid part checked.)
    """
    meta = case.meta
    return (
        case.media_type == "application/xml"
        and meta is not None
        and meta.is_negative_at(ParameterLocation.BODY)
    )


def test_the_fuzzed_schema_is_the_served_one(api):
    served = api.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert served.status_code == 200
    assert served.json() == SCHEMA_DOCUMENT


def _excluded(case: Any) -> list[Any]:
    return [negative_data_rejection] if _untyped_negation(case) else []


@schema.parametrize()
@FUZZ
def test_every_operation_conforms_to_the_schema(case, actor):
    case.call_and_validate(excluded_checks=_excluded(case))


# DELETE on a token revokes it, and the revoked token stays readable (status "revoked"), the
# record of its life: use_after_free's "a deleted object is gone" does not hold there by design.
KEPT_AFTER_DELETE = ("/api/personal-tokens", "/api/offline-tokens")


class LinkedCalls(schema.as_state_machine()):
    """Sequences of calls along the links schemathesis infers (create, then read, change,
    delete what was created), for the checks that need them: a deleted object must be gone
    (``use_after_free``), a created one must be there (``ensure_resource_availability``)."""

    def setup(self) -> None:
        # Each sequence starts from the same rows, so that hypothesis can replay it.
        self._savepoint = transaction.savepoint()

    def teardown(self) -> None:
        transaction.savepoint_rollback(self._savepoint)

    def validate_response(
        self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        excluded = _excluded(case)
        if case.path.startswith(KEPT_AFTER_DELETE):
            excluded.append(use_after_free)
        case.validate_response(
            response,
            additional_checks=additional_checks,
            excluded_checks=excluded,
            transport_kwargs=kwargs or None,
            recorder=self.recorder,
        )


def test_linked_calls_conform_to_the_schema(actor):
    run_state_machine_as_test(
        LinkedCalls,
        settings=settings(
            FUZZ,
            max_examples=15,
            stateful_step_count=8,
        ),
    )


# --- hostile inputs, searched over every operation ---------------------------------------
# schemathesis draws values the schema describes, and their negations; three classes of
# input broke the server without being either, so hypothesis searches them here, over the
# same schema, on whichever database the run uses: bodies nested past the parsers' limit
# (RecursionError), NUL characters (PostgreSQL's DataError), ids spelt in non-ASCII digits
# (which int() reads as ASCII ones) and JSON ids that are not integers.

HOSTILE = settings(FUZZ, max_examples=40)
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in SCHEMA_DOCUMENT["paths"].items()
    for method, operation in operations.items()
]
_COMPONENTS = SCHEMA_DOCUMENT["components"]["schemas"]


def _written_models() -> list[Any]:
    from oauth2_provider.models import Application

    from tokenward.tracker.models import Project, UserStory

    return [Application, Project, UserStory]


_WRITTEN = _written_models()


def _body_schema(operation: dict[str, Any]) -> dict[str, Any]:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = schema.get("schema", {}).get("$ref", "")
    return _COMPONENTS[ref.rsplit("/", 1)[-1]] if ref else schema.get("schema", {})


def _media(operation: dict[str, Any]) -> list[str]:
    return list(operation.get("requestBody", {}).get("content", {}))


BODY_OPERATIONS = [
    (m, p, media)
    for m, p, op in OPERATIONS
    for media in _media(op)
    if media in ("application/json", "application/xml")
]
ID_PATH_OPERATIONS = [(m, p) for m, p, _ in OPERATIONS if re.search(r"\{\w*id\}", p)]
# Every integer in a request body is an id (a project, a user); POSTs need no other row.
ID_FIELDS = [
    (p, name)
    for m, p, op in OPERATIONS
    if m == "POST" and "{" not in p
    for name, prop in _body_schema(op).get("properties", {}).items()
    if "integer" in (prop.get("type"), prop.get("items", {}).get("type"))
]
unicode_digits = st.text(st.characters(categories=["Nd"]), min_size=1, max_size=4).filter(
    lambda text: not text.isascii()
)
with_nul = st.tuples(st.text(max_size=4), st.text(max_size=4)).map("\x00".join)


def _send(method: str, path: str, actor, body: str = "", media: str = "application/json", **kw):
    from django.test import Client

    url = re.sub(r"\{\w+\}", "1", path) if "{" in path else path
    return Client(raise_request_exception=False).generic(
        method,
        url,
        body,
        content_type=media,
        # Basic, not a token: a token may issue no credential (``authn.issuing``), and these
        # bodies must reach the parsers of the issuing endpoints too.
        HTTP_AUTHORIZATION=basic_header(actor.login, actor.raw_password),
        **kw,
    )


def test_the_hostile_tables_cover_the_schema():
    assert len(BODY_OPERATIONS) >= 20 and len(ID_PATH_OPERATIONS) >= 10
    assert {("/api/stories/", "project_id"), ("/api/projects/", "member_ids")} <= set(ID_FIELDS)


@HOSTILE
@given(
    operation=st.sampled_from(BODY_OPERATIONS),
    depth=st.integers(33, 3000),
    opener=st.sampled_from(["[", '{"a":', "<a>"]),
)
def test_a_deeply_nested_body_is_a_400_on_every_operation(operation, depth, opener, actor):
    method, path, media = operation
    if media == "application/xml":
        body = "<root>" + "<a>" * depth + "x" + "</a>" * depth + "</root>"
    else:
        opener = "[" if opener == "<a>" else opener
        body = opener * depth + "1" + ("]" if opener == "[" else "}") * depth

    response = _send(method, path, actor, body, media)

    assert response.status_code in (400, 404), (path, response.content[:200])
    if response.status_code == 400:  # 404: an {id} path whose row does not exist
        assert response.json()["code"] == "parse_error"


@HOSTILE
@given(
    operation=st.sampled_from(OPERATIONS),
    text=with_nul,
    where=st.sampled_from(["query", "json", "form"]),
)
def test_a_nul_anywhere_is_a_400_on_every_operation(operation, text, where, actor):
    from urllib.parse import urlencode

    method, path, _ = operation
    if method == "GET":  # a GET body is never read, so never reaches a query
        where = "query"
    if where == "query":
        response = _send(method, f"{path}?{urlencode({'q': text})}", actor)
    elif where == "json":
        response = _send(method, path, actor, json.dumps({"name": text, "login": text}))
    else:
        body = urlencode({"name": text, "client_id": text})
        response = _send(method, path, actor, body, "application/x-www-form-urlencoded")

    assert response.status_code == 400, (path, where, response.content[:200])
    body = response.json()
    assert body.get("code", body.get("error")) == "invalid_request"


@HOSTILE
@given(
    operation=st.sampled_from(ID_PATH_OPERATIONS),
    digit=st.characters(categories=["Nd"]).filter(lambda char: not char.isascii()),
    ascii_places=st.sets(st.integers(1, 17)),
)
def test_an_id_in_non_ascii_digits_is_a_404_on_every_operation(
    operation, digit, ascii_places, actor
):
    method, path = operation
    # The actor's own id, spelt in the drawn digit's script: int() reads it as the actor's.
    zero = ord(digit) - unicodedata.digit(digit)
    spelt = "".join(
        d if place in ascii_places else chr(zero + int(d)) for place, d in enumerate(str(actor.pk))
    )
    url = re.sub(r"\{\w*id\}", spelt, path)

    response = _send(method, url, actor, "{}")

    assert response.status_code == 404, (url, response.content[:200])


@HOSTILE
@given(
    field=st.sampled_from(ID_FIELDS),
    value=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.integers(0, 10).map(str),
        unicode_digits,
    ),
)
def test_a_json_id_that_is_not_an_integer_is_a_400(field, value, actor):
    path, name = field
    value = [value] if name.endswith("_ids") else value
    rows = [Model.objects.count() for Model in _WRITTEN]

    response = _send("POST", path, actor, json.dumps({name: value}))

    assert response.status_code == 400, (path, name, value, response.content[:200])
    assert name in response.json()["errors"]
    assert [Model.objects.count() for Model in _WRITTEN] == rows
