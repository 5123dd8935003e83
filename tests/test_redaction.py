"""Query-string credentials never reach a log line."""

from __future__ import annotations

import io
import logging
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenward.accesslog import RedactingLogger
from tokenward.redaction import (
    REDACTED,
    TEXT_FILTER,
    redact_every_handler,
    redact_query,
    redact_text,
    redact_uri,
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("access_token=abc", f"access_token={REDACTED}"),
        ("take=5&token=abc&skip=1", f"take=5&token={REDACTED}&skip=1"),
        ("access%5Ftoken=abc", f"access%5Ftoken={REDACTED}"),
        ("access_token=a&access_token=b", f"access_token={REDACTED}&access_token={REDACTED}"),
        ("mytoken=abc&token_type=x", "mytoken=abc&token_type=x"),
        ("token", "token"),
        ("", ""),
    ],
)
def test_credential_values_are_replaced_and_nothing_else(query, expected):
    assert redact_query(query) == expected


def test_a_uri_keeps_its_path():
    assert redact_uri("/api/v1/UserStories/?token=s3cr3t&take=1") == (
        f"/api/v1/UserStories/?token={REDACTED}&take=1"
    )
    assert redact_uri("/api/projects/1") == "/api/projects/1"


@given(st.text(alphabet=st.characters(blacklist_characters="&="), min_size=1))
def test_no_secret_survives_whatever_it_holds(secret):
    assert redact_query(f"a=1&access_token={secret}") == f"a=1&access_token={REDACTED}"


def test_the_gunicorn_access_log_redacts_the_request_line_query_and_referer():
    logger = RedactingLogger(SimpleNamespace(**_gunicorn_cfg()))
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/api/users/me?access_token=twp_secret&x=1",
        "PATH_INFO": "/api/users/me",
        "QUERY_STRING": "access_token=twp_secret&x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": "https://excel.example/q?token=other_secret",
    }
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    response = SimpleNamespace(status="200 OK", headers=[], sent=10, response_length=10)

    atoms = logger.atoms(response, request, environ, _Duration())

    assert atoms["r"] == f"GET /api/users/me?access_token={REDACTED}&x=1 HTTP/1.1"
    assert atoms["q"] == f"access_token={REDACTED}&x=1"
    assert atoms["f"] == f"https://excel.example/q?token={REDACTED}"
    assert "secret" not in repr(atoms)


class _Duration:
    seconds = 0
    microseconds = 1500


def _gunicorn_cfg() -> dict:
    from gunicorn.config import Config

    config = Config()
    return {name: setting.get() for name, setting in config.settings.items()}


@pytest.mark.parametrize(
    "query",
    [
        "next=/profile/%3Faccess_token%3Dtwp_secret",
        "next=/profile/%253Ftoken%253Dtwp_secret",
        "next=%2Fapi%2Fx%3Fa%3D1%26access_token%3Dtwp_secret",
    ],
)
def test_a_value_that_embeds_a_credential_is_replaced_whole(query):
    redacted = redact_query(query)

    assert redacted == f"next={REDACTED}"
    assert "secret" not in redacted


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/api/tokens/tws_secret", f"/api/tokens/{REDACTED}"),
        ("/api/tokens/tws_secret/", f"/api/tokens/{REDACTED}/"),
        ("/api/tokens/tws_secret?format=json", f"/api/tokens/{REDACTED}?format=json"),
        ("/api/tokens/tws_secret?token=s3cr3t", f"/api/tokens/{REDACTED}?token={REDACTED}"),
        ("/api/%74okens/tws_secret", f"/api/tokens/{REDACTED}"),
        ("/api/tokens%2Ftws_secret", f"/api/tokens/{REDACTED}"),
        ("/prefix/api/tokens/tws_secret", f"/prefix/api/tokens/{REDACTED}"),
        ("/api/tokens/tws_secret%0D%0Aforged/x%0Ay", f"/api/tokens/{REDACTED}/x%0Ay"),
        ("/api/tokens", "/api/tokens"),
        ("/api/tokens/", "/api/tokens/"),
        ("/api/personal-tokens/12", "/api/personal-tokens/12"),
        ("/api/tokensmith/x", "/api/tokensmith/x"),
    ],
)
def test_the_token_segment_of_tuleap_token_paths_is_replaced(uri, expected):
    assert redact_uri(uri) == expected


@given(st.text(alphabet=st.characters(blacklist_characters="/?%", codec="latin-1"), min_size=1))
def test_no_path_token_survives_whatever_it_holds(secret):
    redacted = redact_uri(f"/api/tokens/{secret}")

    assert redacted == f"/api/tokens/{REDACTED}"
    assert "\n" not in redacted


def test_the_log_filter_redacts_paths_in_record_arguments():
    import logging

    from tokenward.redaction import RedactingFilter

    record = logging.LogRecord(
        "django.request",
        logging.ERROR,
        __file__,
        1,
        "Internal Server Error: %s",
        ("/api/tokens/tws_secretvalue?access_token=twp_other",),
        None,
    )

    assert RedactingFilter().filter(record) is True
    assert "secretvalue" not in record.getMessage()
    assert "twp_other" not in record.getMessage()


# --- Free-form log messages: every handler of every logger ------------------------------------

_TOKEN = "twp_" + "Q" * 30 + "R" * 6


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            f"Invalid HTTP request line: 'GET /api/stories/?access_token={_TOKEN}\u00c3\u00a9 "
            "HTTP/1.1'",
            f"Invalid HTTP request line: 'GET /api/stories/?access_token={REDACTED} HTTP/1.1'",
        ),
        (
            "Invalid HTTP Version: 'b?token=YWRtaW46c2lnbmF0dXJl HTTP/1.1'",
            f"Invalid HTTP Version: 'b?token={REDACTED} HTTP/1.1'",
        ),
        ("GET /x?access%5Ftoken=abc&take=1", f"GET /x?access%5Ftoken={REDACTED}&take=1"),
        ("GET /x?%74oken=abc", f"GET /x?%74oken={REDACTED}"),
        (
            "GET /login/?next=/p%3Faccess_token%3Dabc%26x%3D1&y=2",
            f"GET /login/?next=/p%3Faccess_token%3D{REDACTED}&y=2",
        ),
        ("next=/p%253Ftoken%253Dabc", f"next=/p%253Ftoken%253D{REDACTED}"),
        (f"Header: {_TOKEN}", f"Header: {REDACTED}"),
        (f"/api/tokens/tws_{'x' * 36}", f"/api/tokens/{REDACTED}"),
        ("Authorization: Bearer abc.def", f"Authorization: Bearer {REDACTED}"),
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: Basic {REDACTED}"),
        ("jwt eyJhbGciOi.eyJzdWIiOi.c2ln seen", f"jwt {REDACTED} seen"),
        (f'127.0.0.1 "GET /x?access_token={REDACTED} HTTP/1.1" 400 0 0ms', None),
        ("csrf_token=keep token_type=keep mytoken=keep 50% done", None),
    ],
)
def test_credentials_in_a_free_form_log_message_are_redacted(message, expected):
    assert redact_text(message) == (message if expected is None else expected)


@pytest.mark.parametrize("name", ["", "gunicorn.error", "gunicorn.access", "django", "tokenward"])
def test_a_log_record_with_a_raw_request_line_is_redacted_by_every_handler(name):
    """Whatever logger writes it, a handler that logging set up writes no credential."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        redact_every_handler()
        logger.error("Invalid request: %r", f"GET /a b?access_token={_TOKEN} HTTP/1.1")
    finally:
        logger.removeHandler(handler)

    assert _TOKEN not in stream.getvalue()
    assert f"access_token={REDACTED}" in stream.getvalue()


def test_django_start_up_put_the_text_filter_on_every_configured_handler():
    handlers = [
        handler
        for handler in (*logging.getLogger().handlers, *logging.getLogger("django").handlers)
        if not type(handler).__module__.startswith("_pytest")  # pytest's own, added later
    ]

    assert {type(handler).__name__ for handler in handlers} >= {
        "StreamHandler",
        "AdminEmailHandler",
    }
    assert all(TEXT_FILTER in handler.filters for handler in handlers)


def test_gunicorn_logger_filters_its_error_and_access_handlers():
    from gunicorn.config import Config

    log = RedactingLogger(Config())

    handlers = [*log.error_log.handlers, *log.access_log.handlers]
    assert handlers
    assert all(TEXT_FILTER in handler.filters for handler in handlers)


def test_a_traceback_holding_a_token_is_redacted():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(TEXT_FILTER)
    logger = logging.getLogger("tokenward.test_traceback")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad value {_TOKEN}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)

    assert "ValueError: bad value" in stream.getvalue()
    assert _TOKEN not in stream.getvalue()
