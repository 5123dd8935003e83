"""What makes two logins the same (case folding and NFKC), and the characters a login refuses."""

from __future__ import annotations

import pytest

from tokenward.accounts.logins import folded, invisible_character, login_key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("bob", "BOB"),
        ("mwhite", "\uff2d\uff37\uff28\uff29\uff34\uff25"),  # full-width MWHITE
        ("strasse", "STRAẞE"),  # capital sharp s folds to "ss"
        ("fiona", "\ufb01ona"),  # the "fi" ligature
        ("admin", "\uff41\uff44\uff4d\uff49\uff4e"),  # full-width lower case
        ("café", "cafe\u0301"),  # precomposed é and e + combining acute
        ("mwhite", "mw\u200bhite\u202e"),  # kept from before: invisible characters dropped
    ],
)
def test_logins_people_cannot_tell_apart_share_one_key(one, other):
    assert folded(one) == folded(other)
    assert login_key(one) == login_key(other)
    assert len(login_key(one)) == 64


@pytest.mark.parametrize(("one", "other"), [("bob", "bob2"), ("rn", "m"), ("jose", "josé")])
def test_logins_that_differ_keep_their_own_keys(one, other):
    assert login_key(one) != login_key(other)


@pytest.mark.parametrize(
    "char",
    [
        "\u200b",  # zero-width space
        "\u200c",  # zero-width non-joiner
        "\u200d",  # zero-width joiner
        "\u2060",  # word joiner
        "\ufeff",  # byte order mark
        "\u00ad",  # soft hyphen
        "\u200e",  # left-to-right mark
        "\u202e",  # right-to-left override
        "\u2066",  # left-to-right isolate
        "\u034f",  # combining grapheme joiner
        "\u3164",  # Hangul filler
        "\ufe0f",  # variation selector 16
        "\u2800",  # blank Braille pattern
        "\x00",
        "\x1b",
        "\u00a0",  # no-break space
        "\ue000",  # private use
    ],
)
def test_invisible_and_formatting_characters_are_found(char):
    assert invisible_character(f"mwhite{char}") == char
    assert invisible_character(f"{char}mwhite") == char


@pytest.mark.parametrize("login", ["mwhite", "mary.white@example.com", "josé", "Łukasz", "李雷"])
def test_visible_logins_hold_no_invisible_character(login):
    assert invisible_character(login) is None
