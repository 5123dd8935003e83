"""gunicorn's access log with query-string credentials redacted from every URL it writes."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from tokenward.redaction import redact_every_handler, redact_query, redact_uri

# Atoms that hold a bare query string; any other atom holding a "?" is treated as a URL.
_QUERY_ATOMS = {"q", "{query_string}e"}


class RedactingLogger(Logger):
    """Rewrites every atom that can hold a URL or a query: whatever the log format names.

    Its error log too: every handler it sets up gets the text filter, which redacts the raw
    request lines gunicorn writes when it cannot parse them.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        redact_every_handler()

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if not isinstance(value, str):
                continue
            if key == "r":
                atoms[key] = _redact_request_line(value)
            elif key in _QUERY_ATOMS:
                atoms[key] = redact_query(value)
            elif "?" in value:
                atoms[key] = redact_uri(value)
        return atoms


def _redact_request_line(line: str) -> str:
    method, _, rest = line.partition(" ")
    uri, _, protocol = rest.rpartition(" ")
    return f"{method} {redact_uri(uri)} {protocol}" if uri else redact_uri(line)
