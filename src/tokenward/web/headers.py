"""Fixed reply headers, checked once when defined and then set in one step per reply."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.http import HttpResponseBase
from django.http.response import ResponseHeaders


class ConstantHeaders:
    """Headers whose names and values never change, for replies on the token path.

    ``response.headers[name] = value`` runs Django's checks (charset, line breaks) on every
    call: about 40 interpreter steps a header, where a cached token costs some 700.
    Here Django's own ``ResponseHeaders`` checks each header once, at definition, and
    ``apply`` copies the checked entries into the reply's header store. A header named in
    ``appended_to`` (``Link``) keeps the value a view already set, with ours after it.
    """

    def __init__(self, headers: Mapping[str, str], *, appended_to: Iterable[str] = ()) -> None:
        # ResponseHeaders keeps {lower-case name: (name, value)}: the store apply() updates.
        self._checked = dict(ResponseHeaders(dict(headers))._store)
        self._appended = frozenset(name.lower() for name in appended_to)

    def apply(self, response: HttpResponseBase) -> None:
        """Set the headers on ``response``, replacing any of the same name but those in
        ``appended_to``."""
        store = response.headers._store
        if self._appended.isdisjoint(store):
            store.update(self._checked)
            return
        for key, (name, value) in self._checked.items():
            earlier = store.get(key) if key in self._appended else None
            response.headers[name] = f"{earlier[1]}, {value}" if earlier else value
