"""The audit log as CSV: one row per event, columns as in the JSON, safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer

from tokenward.audit.serializers import AuditEventSerializer

# A cell starting with one of these runs as a formula in Excel, LibreOffice or Google Sheets
# (OWASP, "CSV Injection"); a leading single quote makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> str:
    """Return ``value`` as a cell a spreadsheet shows as text and never runs as a formula.

    ``None`` (a deleted user, no address) is the empty cell.
    """
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class AuditEventCSVRenderer(BaseRenderer):
    """``text/csv`` (RFC 4180, UTF-8), a header row, then one row per serialized event.

    It renders a page of events only: the view answers errors in JSON, and the pagination
    puts the page's links and the total in headers, since a CSV body has no envelope.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    columns: tuple[str, ...] = tuple(AuditEventSerializer.Meta.fields)
    filename = "audit-events.csv"

    def render(
        self,
        data: Iterable[Mapping[str, Any]],
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        out = io.StringIO()
        # Every cell quoted, as OWASP advises; csv's default line end is RFC 4180's CRLF.
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(self.columns)
        for row in data:
            writer.writerow(spreadsheet_cell(row.get(column)) for column in self.columns)
        return out.getvalue().encode(self.charset)
