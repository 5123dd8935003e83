"""gunicorn's access log with query-string credentials redacted from every URL it writes."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from tokenward.redaction import redact_query, redact_uri


class RedactingLogger(Logger):
    """Rewrites the atoms that can hold a URL: the request line, the query and the referer."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["q"] = redact_query(atoms.get("q", ""))
        method, _, rest = atoms.get("r", "").partition(" ")
        uri, _, protocol = rest.rpartition(" ")
        if uri:
            atoms["r"] = f"{method} {redact_uri(uri)} {protocol}"
        if atoms.get("f", "-") != "-":
            atoms["f"] = redact_uri(atoms["f"])
        return atoms
