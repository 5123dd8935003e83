"""``tokenward scan``: find tokenward tokens in files, by prefix and checksum, with no database.

A candidate is one of the five prefixes and exactly 36 letters and digits, standing alone
as a word; only those whose checksum verifies are reported, so random strings of the same
shape are not (one in four billion passes a CRC32). Each finding is printed without its
secret: the prefix and the last four characters, as the token pages show it.

It reads no Django settings and no database, so it runs anywhere: in CI, on a laptop, on a
copy of a repository.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from tokenward.credentials.kinds import KIND_NAMES, recognise

# \b on both sides: a 37th letter or digit, or an underscore before the prefix, is another word.
CANDIDATE = re.compile(rb"\b(?:twp|tws|two|twa|twr)_[0-9A-Za-z]{36}\b")
SNIFF_BYTES = 8192  # a NUL byte in the first 8 KiB: a binary file, as git decides
MAX_FILE_BYTES = 10 * 1024 * 1024
SKIPPED_FOLDERS = frozenset({".git"})

FOUND, NOTHING_FOUND, USAGE_ERROR = 1, 0, 2


@dataclass(frozen=True)
class Finding:
    """A token found in a file: where, which kind, and how it may be shown."""

    path: str
    line: int
    column: int
    kind: str
    display: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.kind} {self.display}"


@dataclass
class Tally:
    """What a scan looked at and left out, for its summary."""

    files: int = 0
    files_with_tokens: int = 0
    binary: int = 0
    large: int = 0
    unreadable: list[str] = field(default_factory=list)


def find_tokens(data: bytes, path: str) -> Iterator[Finding]:
    """Yield every well-formed token in ``data`` (the contents of ``path``), in order."""
    for match in CANDIDATE.finditer(data):
        parsed = recognise(match.group().decode("ascii"))
        if parsed is None:
            continue
        start = match.start()
        line_start = data.rfind(b"\n", 0, start) + 1
        # The column counts characters, not bytes, where the line is UTF-8.
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        yield Finding(
            path=path,
            line=data.count(b"\n", 0, start) + 1,
            column=column,
            kind=KIND_NAMES[parsed.type],
            display=f"{parsed.type.value}_…{parsed.last4}",
        )


def files_under(path: str, tally: Tally) -> Iterator[str]:
    """Yield ``path`` if it is a file, else the regular files under it, sorted, without
    ``.git`` folders and without following any symbolic link found on the way (so nothing
    outside the tree is read). A folder that cannot be listed is counted as unreadable."""
    if not os.path.isdir(path):
        yield path
        return

    def unreadable(exc: OSError) -> None:
        tally.unreadable.append(f"{exc.filename}: {exc.strerror or type(exc).__name__}")

    for root, folders, names in os.walk(path, onerror=unreadable, followlinks=False):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS)
        for name in sorted(names):
            full = os.path.join(root, name)
            # Links are skipped, and so are FIFOs and devices: reading one could block.
            if not os.path.islink(full) and os.path.isfile(full):
                yield full


def scan_file(path: str, tally: Tally) -> list[Finding]:
    """Return the tokens in the file ``path``; count it as scanned, binary, large or unreadable."""
    if not os.path.isfile(path):
        tally.unreadable.append(f"{path}: not a regular file")
        return []
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size > MAX_FILE_BYTES:
                tally.large += 1
                return []
            head = file.read(SNIFF_BYTES)
            if b"\0" in head:
                tally.binary += 1
                return []
            data = head + file.read(MAX_FILE_BYTES)
    except OSError as exc:
        tally.unreadable.append(f"{path}: {exc.strerror or type(exc).__name__}")
        return []
    tally.files += 1
    found = list(find_tokens(data, path))
    tally.files_with_tokens += bool(found)
    return found


def scan(paths: Sequence[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Scan ``paths``, print each finding on ``out`` and a summary on ``err``; return the
    exit status: 1 if a token was found, else 2 if a path could not be read, else 0."""
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        for path in missing:
            print(f"tokenward scan: {path}: no such file or folder", file=err)
        return USAGE_ERROR
    tally = Tally()
    count = 0
    for top in paths:
        for path in files_under(top, tally):
            for finding in scan_file(path, tally):
                print(finding, file=out)
                count += 1
    for problem in tally.unreadable:
        print(f"tokenward scan: could not read {problem}", file=err)
    print(summary(count, tally), file=err)
    if count:
        return FOUND
    return USAGE_ERROR if tally.unreadable else NOTHING_FOUND


def summary(count: int, tally: Tally) -> str:
    """Return the one-line account of a scan."""
    tokens = f"{count} token{'' if count == 1 else 's'}"
    files = f"{tally.files} file{'' if tally.files == 1 else 's'}"
    skipped = [
        f"{n} {what}"
        for n, what in (
            (tally.binary, "binary"),
            (tally.large, f"over {MAX_FILE_BYTES // (1024 * 1024)} MiB"),
            (len(tally.unreadable), "unreadable"),
        )
        if n
    ]
    line = f"tokenward scan: {tokens} found in {tally.files_with_tokens} of {files} scanned"
    return line + (f"; skipped {', '.join(skipped)}." if skipped else ".")
