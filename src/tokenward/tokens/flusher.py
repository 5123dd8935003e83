"""Writes coalesced last-use records in the background and when a server process exits."""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, connection

from tokenward.tokens.last_use import LastUseRecorder

log = logging.getLogger(__name__)
SWEEP_SECONDS = 10.0
_started = threading.Event()


def recorders() -> list[LastUseRecorder]:
    """Return the recorder of every token kind that tracks its last use."""
    from tokenward.tokens.personal import last_use_recorder

    return [last_use_recorder()]


def flush_due() -> None:
    """Write what is due; a database outage is logged and retried at the next sweep."""
    for recorder in recorders():
        try:
            recorder.flush_due()
        except DatabaseError:
            log.warning("Could not write last-use records; will retry.")


def flush_all() -> None:
    """Write every pending use now (the process is exiting)."""
    for recorder in recorders():
        try:
            recorder.flush_all()
        except DatabaseError:
            log.warning(
                "Could not write last-use records at exit; %d pending.", recorder.pending_count()
            )


def start_background_flusher() -> None:
    """Start the sweeping thread of this process once (called by gunicorn after fork)."""
    if _started.is_set():
        return
    _started.set()

    def sweep() -> None:
        while True:
            threading.Event().wait(SWEEP_SECONDS)
            flush_due()
            connection.close()  # this thread's own connection; reopened at the next sweep

    threading.Thread(target=sweep, name="tokenward-last-use", daemon=True).start()
