"""Last use of a token, coalesced: at most one database write per token per interval.

Each use is noted in memory. A token whose last recorded use is older than the interval is
written at once (so a new token shows its first use); later uses wait in memory and are
written by the next sweep after the interval, or when the process exits. The writer reads
the row first, so several processes together still write a token at most once per interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tokenward.conf import setting

MAX_ADDRESSES = 5


@dataclass
class PendingUse:
    """Uses not yet written: the latest time, user agent and method, recent addresses."""

    at: float  # seconds since the epoch: cheaper to keep than a datetime, on every request
    user_agent: str
    method: str
    addresses: list[str] = field(default_factory=list)
    # Until then no write of the token is due: a use by ``client`` (address, user agent,
    # method: the last noted) only moves ``at``.
    quiet_until: float = 0.0
    client: tuple[str | None, str, str] | None = None

    @property
    def moment(self) -> datetime:
        """The latest use, as an aware datetime."""
        return datetime.fromtimestamp(self.at, UTC)

    def add_address(self, address: str | None) -> None:
        if address and (not self.addresses or self.addresses[0] != address):
            self.addresses = merge_addresses([address], self.addresses)


def merge_addresses(newer: list[str], older: list[str]) -> list[str]:
    """Return the distinct addresses, most recent first, at most five."""
    return list(dict.fromkeys([*newer, *older]))[:MAX_ADDRESSES]


# Write a pending use of token ``id``. Return None if written (or the row is gone), else the
# time another process wrote the row within the interval.
Writer = Callable[[int, PendingUse, bool], datetime | None]


class LastUseRecorder:
    """Coalesces the uses of one kind of token into rare writes through ``writer``."""

    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every pending use unwritten (tests start from a clean state)."""
        self._pending: dict[int, PendingUse] = {}
        self._written: dict[int, float] = {}  # when each token was last written
        self._next_sweep = time.time()

    @staticmethod
    def interval() -> float:
        """The least number of seconds between two writes of one token."""
        return float(setting("LAST_USE_WRITE_SECONDS"))

    def note(
        self,
        token_id: int,
        *,
        last_written: datetime | None,
        address: str | None,
        user_agent: str,
        method: str,
    ) -> None:
        """Note one use now. ``last_written`` is when the caller saw the row last written."""
        now = time.time()
        client = (address, user_agent, method)
        pending = self._pending.get(token_id)  # one atomic read
        if pending is not None and now < pending.quiet_until and pending.client == client:
            # The same client again, no write due: what the locked path below would do comes
            # down to moving the time. Unless a flush took this entry meanwhile: then the
            # locked path notes the use again, so that none is lost.
            pending.at = now
            if self._pending.get(token_id) is pending:
                if now >= self._next_sweep:
                    self.flush_due()
                return
        with self._lock:
            pending = self._pending.get(token_id)
            if pending is None:
                pending = self._pending[token_id] = PendingUse(now, user_agent, method)
            else:
                pending.at, pending.user_agent, pending.method = now, user_agent, method
            addresses = pending.addresses
            if address and (not addresses or addresses[0] != address):  # add_address, inline
                pending.addresses = merge_addresses([address], addresses)
            last = self._written.get(token_id)
            if last is None and last_written is not None:
                last = self._written[token_id] = last_written.timestamp()
            interval = setting("LAST_USE_WRITE_SECONDS")
            due = last is None or now - last >= interval
            pending.quiet_until = 0.0 if due else last + interval
            pending.client = client
        if due:
            self._flush(token_id, force=False)
        if now >= self._next_sweep:
            self.flush_due()

    def flush_due(self) -> None:
        """Write every pending use whose token was last written an interval ago or more."""
        now = time.time()
        with self._lock:
            self._next_sweep = now + self.interval() / 6
            horizon = now - self.interval()
            for token_id in [t for t, at in self._written.items() if at <= horizon]:
                if token_id not in self._pending:
                    del self._written[token_id]
            due = [t for t in self._pending if self._written.get(t, horizon) <= horizon]
        for token_id in due:
            self._flush(token_id, force=False)

    def flush_all(self) -> None:
        """Write every pending use now, whatever the interval: the process is ending."""
        with self._lock:
            pending = list(self._pending)
        for token_id in pending:
            self._flush(token_id, force=True)

    def pending_count(self) -> int:
        return len(self._pending)

    def _flush(self, token_id: int, *, force: bool) -> None:
        with self._lock:
            pending = self._pending.pop(token_id, None)
        if pending is None:
            return
        written_elsewhere = self._writer(token_id, pending, force)
        with self._lock:
            if written_elsewhere is None:
                self._written[token_id] = time.time()
                return
            self._written[token_id] = written_elsewhere.timestamp()
            newer = self._pending.get(token_id)
            if newer is not None:  # noted while we wrote: keep the latest of both
                newer.addresses = merge_addresses(newer.addresses, pending.addresses)
            else:
                self._pending[token_id] = pending
