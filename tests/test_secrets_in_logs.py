"""No secret, digest or password in logs, error reports or replies; CR/LF cannot forge lines.

A real ``tokenward serve`` (log level DEBUG) mints one credential of every kind, each is sent
valid and spoilt through every transport, then the server's output, every reply and the audit
log are searched for every secret, its HMAC and SHA-256 digests, and the password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest
from django.core import mail
from django.core.handlers.exception import response_for_exception
from django.test import RequestFactory
from django.views.debug import get_exception_reporter_class

from tests.conftest import basic_header, new_password
from tests.live_server import Server, start
from tokenward.credentials.format import TokenType, generate

REDIRECT_URI = "http://127.0.0.1:8765/callback"
ME = "/api/users/me"
TOKEN_ENDPOINTS = {"/auth/token", "/oauth/token/"}
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@dataclass
class Secrets:
    """Every credential the server issued, and every reply that issued one (not searched)."""

    password: str
    values: dict[str, str] = field(default_factory=dict)
    user_id: str = ""
    client_id: str = ""

    def needles(self, token_key: str) -> dict[str, str]:
        """Return what must never be seen: each secret, its HMAC and SHA-256 digests."""
        found = {"password": self.password}
        for name, value in self.values.items():
            found[name] = value
            found[f"{name} hmac"] = hmac.new(
                token_key.encode(), value.encode(), "sha256"
            ).hexdigest()
            found[f"{name} sha256"] = hashlib.sha256(value.encode()).hexdigest()
        if jwt := self.values.get("jwt"):
            found["jwt signature"] = jwt.rsplit(".", 1)[1]
        return found


def spoilt(value: str) -> dict[str, str]:
    """Return ``value`` wrong (a well-formed unknown token), truncated and with a bad checksum."""
    prefix = value.split("_", 1)[0]
    kinds = {t.value: t for t in TokenType}
    wrong = generate(kinds[prefix]) if prefix in kinds else secrets.token_urlsafe(32)
    last = "A" if value[-1] != "A" else "B"
    return {"wrong": wrong, "truncated": value[:-6], "bad checksum": value[:-1] + last}


def transports(value: str, user_id: str) -> Iterator[tuple[str, dict]]:
    """Yield ``(path, request options)`` for every way the server takes a credential."""
    yield ME, {"headers": {"Authorization": f"Bearer {value}"}}
    yield ME, {"headers": {"Authorization": f"Token {value}"}}
    yield ME, {"headers": {"Authorization": basic_header("admin", value)}}
    yield ME, {"headers": {"X-Auth-AccessKey": value}}
    yield ME, {"headers": {"X-Auth-Token": value, "X-Auth-UserId": user_id}}
    yield f"{ME}?access_token={quote(value)}", {}
    yield f"/api/v1/UserStories/?token={quote(value)}", {}
    yield ME, {"headers": {"Cookie": f"sessionid={value}; csrftoken={value}"}}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    password = new_password()
    data_dir = tmp_path_factory.mktemp("secrets") / "data"
    server = start(data_dir, password, {"TOKENWARD_LOG_LEVEL": "DEBUG"})
    yield server, password
    server.stop()


def _login(http: httpx.Client, password: str) -> None:
    page = http.get("/login/")
    token = HIDDEN.search(page.text).group(2)
    done = http.post(
        "/login/", data={"username": "admin", "password": password, "csrfmiddlewaretoken": token}
    )
    assert done.status_code == 302, done.text
    confirm = http.get("/profile/confirm-password/?next=/auth/offline-token")
    if confirm.status_code == 200:  # a fresh login may already count as the proof
        form = dict(HIDDEN.findall(confirm.text))
        answer = http.post("/profile/confirm-password/", data={**form, "password": password})
        assert answer.status_code == 302, answer.text


def _oauth_pair(http: httpx.Client, admin: dict, found: Secrets) -> None:
    app = http.post(
        "/api/oauth-applications",
        headers=admin,
        json={"name": "leak probe", "redirect_uris": [REDIRECT_URI], "client_type": "confidential"},
    )
    assert app.status_code == 201, app.text
    client_id, found.values["client secret"] = app.json()["client_id"], app.json()["client_secret"]
    found.client_id = client_id
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "read write",
        "state": "s1",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    page = http.get("/oauth/authorize/?" + urlencode(query))
    assert page.status_code == 200, page.text
    form = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}
    allowed = http.post("/oauth/authorize/", data={**form, "allow": "Authorize"})
    assert allowed.status_code == 302, allowed.text
    code = parse_qs(urlsplit(allowed.headers["Location"]).query)["code"][0]
    client = (client_id, found.values["client secret"])
    pair = httpx.post(
        f"{http.base_url}/oauth/token/",
        auth=client,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
        | {"code_verifier": verifier},
    ).json()
    found.values["revoked oauth refresh"] = pair["refresh_token"]
    found.values["revoked oauth access"] = pair["access_token"]
    fresh = httpx.post(
        f"{http.base_url}/oauth/token/",
        auth=client,
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]},
    ).json()
    found.values["oauth access"] = fresh["access_token"]
    found.values["oauth refresh"] = fresh["refresh_token"]


def issue_everything(server: Server, password: str) -> Secrets:
    """Mint a credential of every kind through the server's own endpoints."""
    found = Secrets(password)
    admin = {"Authorization": basic_header("admin", password)}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        made = http.post("/api/personal-tokens", headers=admin, json={"name": "probe"}).json()
        found.values["personal"] = made["token"]
        gone = http.post("/api/personal-tokens", headers=admin, json={"name": "gone"}).json()
        assert http.delete(f"/api/personal-tokens/{gone['id']}", headers=admin).status_code == 204
        found.values["revoked personal"] = gone["token"]
        login = {"username": "admin", "password": password}
        found.values["trialgrid"] = http.post("/api/v2/api-token-auth/", data=login).json()["token"]
        service = http.get(
            "/api/v1/Authentication", headers={**admin, "Accept": "application/json"}
        )
        found.values["service"] = service.json()["Token"]
        tuleap = http.post("/api/tokens", data=login).json()
        found.values["tuleap"], found.user_id = tuleap["token"], tuleap["user_id"]
        _login(http, password)
        found.values["session"] = http.cookies["sessionid"]
        found.values["csrf"] = http.cookies["csrftoken"]
        page = http.post(
            "/auth/offline-token",
            data={"name": "probe", "csrfmiddlewaretoken": found.values["csrf"]},
        )
        found.values["offline"] = re.search(r'value="(two_[^"]+)"', page.text).group(1)
        jwt = http.post("/auth/token", data={"refresh_token": found.values["offline"]})
        found.values["jwt"] = jwt.json()["access_token"]
        _oauth_pair(http, admin, found)
    return found


def probe_everything(server: Server, found: Secrets) -> list[httpx.Response]:
    """Send every secret, valid and spoilt, through every transport and form endpoint."""
    replies = []
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for value in found.values.values():
            for sent in [value, *spoilt(value).values()]:
                for path, options in transports(sent, found.user_id):
                    replies.append(http.get(path, **options))
                replies.append(http.post("/auth/token", data={"refresh_token": sent}))
                replies.append(http.delete(f"/api/tokens/{quote(sent)}"))
                client_auth = httpx.BasicAuth(found.client_id, sent)
                replies.append(
                    http.post("/oauth/token/", auth=client_auth, data={"grant_type": "x"})
                )
                replies.append(
                    http.post(
                        "/oauth/token/", data={"grant_type": "refresh_token", "refresh_token": sent}
                    )
                )
        for wrong in (found.password[:-1], found.password + "x"):
            form = {"username": "admin", "password": wrong}
            replies.append(http.post("/api/tokens", data=form))
            replies.append(http.post("/api/v2/api-token-auth/", data=form))
            replies.append(http.get(ME, headers={"Authorization": basic_header("admin", wrong)}))
    return replies


@pytest.fixture(scope="module")
def probed(server) -> tuple[Server, Secrets, list[httpx.Response]]:
    live, password = server
    found = issue_everything(live, password)
    return live, found, probe_everything(live, found)


def _token_key(server: Server) -> str:
    return (server.data_dir / "token_key").read_text().strip()


def _leaks(text: str, needles: dict[str, str]) -> list[str]:
    return [name for name, needle in needles.items() if needle in text]


@pytest.mark.live
def test_every_credential_kind_was_issued_and_works(probed):
    live, found, _replies = probed
    assert set(found.values) >= {"personal", "service", "tuleap", "offline", "jwt", "session"}
    assert live.get(ME, headers={"Authorization": f"Bearer {found.values['jwt']}"}).is_success
    stale = live.get(ME, headers={"Authorization": f"Bearer {found.values['revoked personal']}"})
    assert stale.status_code == 401


@pytest.mark.live
def test_no_reply_to_a_probe_holds_a_secret_or_its_digest(probed):
    live, found, replies = probed
    needles = found.needles(_token_key(live))

    assert len(replies) > 500
    assert all(reply.status_code < 500 for reply in replies)
    for reply in replies:
        if reply.request.url.path in TOKEN_ENDPOINTS and reply.status_code == 200:
            continue  # the issuing reply itself; /auth/token echoes the refresh token (seed)
        text = reply.text + repr(reply.headers.multi_items())
        assert _leaks(text, needles) == [], (str(reply.request.url), reply.status_code, text)


@pytest.mark.live
def test_the_server_log_holds_no_secret_or_digest(probed):
    live, found, _replies = probed
    output = live.output()

    assert output.count("GET /api/users/me") > 300  # the access log did record the probes
    needles = found.needles(_token_key(live))
    assert [line for line in output.splitlines() if _leaks(line, needles)] == []


@pytest.mark.live
def test_the_audit_log_holds_no_secret_or_digest(probed):
    live, found, _replies = probed
    # A token, not the password: the probes' wrong passwords have locked the login out.
    admin = {"Authorization": f"Bearer {found.values['personal']}"}
    pages, url = [], "/api/audit-events?limit=500"
    while url and len(pages) < 20:
        reply = live.get(url.removeprefix(live.url), headers=admin)
        assert reply.status_code == 200, reply.text
        pages.append(reply.text)
        body = reply.json()
        url = body.get("next") if isinstance(body, dict) else None

    events = "".join(pages)
    assert '"action":"issued"' in events
    assert '"action":"failed"' in events  # the spoilt credentials were recorded
    assert _leaks("".join(pages), found.needles(_token_key(live))) == []


@pytest.mark.live
@pytest.mark.parametrize(
    "forgery",
    ["%0d%0aFORGED-LINE 200", "%0aFORGED-LINE 200", "%0dFORGED-LINE 200"],
)
def test_an_encoded_cr_lf_in_the_url_cannot_start_a_log_line(server, forgery):
    live, _password = server
    live.get(f"/api/users/me?x={forgery}&access_token={forgery}")
    live.get(f"/api/tokens/{forgery}")
    live.get(f"/nothing/{forgery}")

    assert not _forged_lines(live)


@pytest.mark.live
def test_a_raw_cr_lf_in_a_header_cannot_start_a_log_line(server):
    live, _password = server
    port = int(live.url.rsplit(":", 1)[1])
    for header in (b"Referer", b"User-Agent", b"X-Auth-Token", b"Authorization"):
        raw = (
            b"GET /api/users/me HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + header
            + b": a\rFORGED-LINE 200\r\n"
            + b"Connection: close\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(raw)
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 4"), answer[:80]

    assert not _forged_lines(live)


def _malformed_request_lines(secret: str, service: str) -> list[bytes]:
    """Request lines gunicorn cannot parse, each carrying a credential, as an attacker (or a
    careless client) sends them: raw spaces, raw UTF-8, control bytes, encoded names."""
    return [
        f"GET /api/stories/?access_token={secret}\u00e9 HTTP/1.1".encode(),
        f"GET /api/my stories/?access_token={secret} HTTP/1.1".encode(),
        f"GET /api/stories/?access_token={secret}\x01 HTTP/1.1".encode(),
        f"GET /api/v1/UserStories/?token={service}\x7f HTTP/1.1".encode(),
        f"GET /api/v1/User Stories/?take=1&token={service} HTTP/1.1".encode(),
        f"GET /a b?access%5Ftoken={service} HTTP/1.1".encode(),
        f"GET /login/?next=/p%3Faccess_token%3D{service}\u00e9 HTTP/1.1".encode(),
        f"GET /api/tokens/{secret}\u00e9 HTTP/1.1".encode(),
        f"G\x01ET /api/stories/?access_token={secret} HTTP/1.1".encode(),
    ]


@pytest.mark.live
def test_malformed_request_line_with_a_token_is_redacted_in_the_servers_error_log(server):
    live, _password = server
    port = int(live.url.rsplit(":", 1)[1])
    secret = generate(TokenType.PERSONAL)
    # A Targetprocess service token has no prefix: only its parameter's name gives it away.
    service = base64.b64encode(f"admin:{secrets.token_hex(20)}".encode()).decode().rstrip("=")
    for line in _malformed_request_lines(secret, service):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400"), (line, answer[:80])

    output = _wait_for(live, "Invalid request", count=9)
    assert secret not in output
    assert secret[4:20] not in output
    assert service not in output
    assert service[:16] not in output
    refused = [line for line in output.splitlines() if "Invalid request" in line]
    assert len(refused) >= 9, refused  # logged, not swallowed
    assert sum(REDACTED_MARK in line for line in refused) >= 7


REDACTED_MARK = "[REDACTED]"


def _wait_for(live: Server, text: str, count: int, seconds: float = 5.0) -> str:
    """Return the server's output once ``text`` appears ``count`` times in it (or time is up)."""
    deadline = time.monotonic() + seconds
    while (output := live.output()).count(text) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return output


def _forged_lines(live: Server) -> list[str]:
    return [line for line in live.output().splitlines() if line.startswith("FORGED")]


# --- Error reports: Django's reporter and the ADMINS mail --------------------------------------

REPORT_SECRET = "twp_" + "S3cr3tValue" * 3


def _request_with_every_credential():
    factory = RequestFactory()
    return factory.post(
        f"/api/tokens/{REPORT_SECRET}?access_token={REPORT_SECRET}&token={REPORT_SECRET}",
        data={
            "password": REPORT_SECRET,
            "refresh_token": REPORT_SECRET,
            "client_secret": REPORT_SECRET,
            "code_verifier": REPORT_SECRET,
            "csrfmiddlewaretoken": REPORT_SECRET,
        },
        headers={
            "Authorization": f"Bearer {REPORT_SECRET}",
            "X-Auth-AccessKey": REPORT_SECRET,
            "X-Auth-Token": REPORT_SECRET,
            "X-CSRFToken": REPORT_SECRET,
            "Cookie": f"sessionid={REPORT_SECRET}; csrftoken={REPORT_SECRET}",
            "Referer": f"https://excel.example/?token={REPORT_SECRET}",
        },
    )


def _raise_holding(secret: str) -> None:
    token = secret  # a local variable holding a secret, as verification code has
    raise RuntimeError(f"failed for token id 7 ({len(token)} characters)")


@pytest.mark.parametrize("debug", [False, True])
def test_an_error_report_holds_no_credential_of_the_request(settings, debug):
    settings.DEBUG = debug
    request = _request_with_every_credential()
    try:
        _raise_holding(REPORT_SECRET)
    except RuntimeError as exc:
        reporter = get_exception_reporter_class(request)(request, type(exc), exc, exc.__traceback__)

    text, page = reporter.get_traceback_text(), reporter.get_traceback_html()

    assert "RuntimeError" in text
    assert "/api/tokens/[REDACTED]" in text
    assert "HTTP_X_AUTH_ACCESSKEY" in text  # the header is named, its value is not
    assert REPORT_SECRET not in text
    assert REPORT_SECRET not in page
    assert "S3cr3tValue" not in text + page


def test_the_admins_mail_of_a_server_error_holds_no_credential(settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    request = _request_with_every_credential()

    response = response_for_exception(request, RuntimeError("the view failed"))

    assert response.status_code == 500
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert "/api/tokens/[REDACTED]" in sent.subject
    assert "the view failed" in sent.body
    assert "S3cr3tValue" not in sent.subject + sent.body
    assert "S3cr3tValue" not in response.content.decode()
