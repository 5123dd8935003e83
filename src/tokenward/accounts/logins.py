"""What makes two logins the same: case folding and Unicode NFKC; and the characters refused.

Plain Python, no database: the model computes ``login_key`` with it, the services refuse
clashes with it, and the migration that added the key fills it with it.
"""

from __future__ import annotations

import hashlib
import unicodedata

# Categories of characters nobody can see or tell apart from nothing: format characters
# (zero-width spaces and joiners, bidi controls, soft hyphen, BOM), controls, separators,
# private-use, surrogates and unassigned code points.
_REFUSED_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs", "Cn", "Zs", "Zl", "Zp"})
# Default-ignorable code points in other categories: combining grapheme joiner, Hangul and
# halfwidth fillers, Khmer inherent vowels, Mongolian and other variation selectors, and the
# blank Braille pattern (which renders as a space).
_REFUSED_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)


def invisible_character(login: str) -> str | None:
    """Return the first character of ``login`` that is invisible or formatting, or None.

    Such characters make ``mwhite\\u200b`` look like ``mwhite`` on every screen.
    """
    return next((char for char in login if _invisible(char)), None)


def _invisible(char: str) -> bool:
    point = ord(char)
    return unicodedata.category(char) in _REFUSED_CATEGORIES or any(
        low <= point <= high for low, high in _REFUSED_RANGES
    )


def folded(login: str) -> str:
    """Return the form two logins share when people cannot tell them apart: NFKC, case-folded.

    NFKC maps full-width letters and compatibility forms (ligatures) to plain ones;
    casefold maps case (``BOB``, ``ß``); NFKC again, since folding can denormalise.
    Invisible characters are dropped first: new logins refuse them, and a login kept from
    before (``mwhite`` + a zero-width space) is then found to look like ``mwhite``.
    """
    visible = "".join(char for char in login if not _invisible(char))
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())


def login_key(login: str) -> str:
    """Return the value of ``User.login_key`` for ``login``: SHA-256 of its folded form, in hex.

    A digest, not the folded text, because NFKC can make a 150-character login thousands of
    characters long, past what a PostgreSQL index holds; 64 hex characters always fit.
    """
    return hashlib.sha256(folded(login).encode("utf-8", "surrogatepass")).hexdigest()
