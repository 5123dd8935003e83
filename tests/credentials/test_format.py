"""Token strings: generated tokens parse; anything else is refused for a stated reason."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenward.credentials.format import (
    ALPHABET,
    TOKEN_LENGTH,
    MalformedTokenError,
    TokenType,
    generate,
    parse,
    token_type_of,
)


@pytest.mark.parametrize("token_type", list(TokenType))
def test_a_generated_token_has_its_prefix_length_and_alphabet(token_type):
    value = generate(token_type)

    assert value.startswith(f"{token_type.value}_")
    assert len(value) == TOKEN_LENGTH == 40
    assert set(value[4:]) <= set(ALPHABET)
    assert parse(value, token_type).value == value
    assert token_type_of(value) is token_type


def test_tokens_carry_at_least_160_random_bits_and_do_not_repeat():
    import math

    assert 30 * math.log2(62) >= 160
    assert len({generate(TokenType.PERSONAL) for _ in range(1000)}) == 1000


def test_a_token_of_another_type_is_refused():
    value = generate(TokenType.SESSION)

    with pytest.raises(MalformedTokenError, match="does not start with twp_"):
        parse(value, TokenType.PERSONAL)


def test_a_truncated_token_is_refused_for_its_length():
    with pytest.raises(MalformedTokenError, match="40 characters"):
        parse(generate(TokenType.PERSONAL)[:-1], TokenType.PERSONAL)


def test_a_character_outside_the_alphabet_is_refused():
    value = generate(TokenType.PERSONAL)

    with pytest.raises(MalformedTokenError, match="letters or digits"):
        parse(value[:10] + "-" + value[11:], TokenType.PERSONAL)


@given(st.integers(min_value=4, max_value=TOKEN_LENGTH - 1), st.sampled_from(ALPHABET))
def test_any_single_changed_character_breaks_the_checksum(position, replacement):
    value = generate(TokenType.PERSONAL)
    changed = value[:position] + replacement + value[position + 1 :]

    if changed == value:
        assert parse(changed, TokenType.PERSONAL).value == value
    else:
        with pytest.raises(MalformedTokenError):
            parse(changed, TokenType.PERSONAL)


@given(st.text(max_size=80))
def test_the_parser_never_fails_otherwise_on_arbitrary_text(text):
    try:
        parsed = parse(text, TokenType.PERSONAL)
    except MalformedTokenError as error:
        assert str(error).endswith(".")
    else:
        assert parsed.value == text and len(text) == TOKEN_LENGTH


@given(st.text(alphabet=string.ascii_letters + string.digits, min_size=36, max_size=36))
def test_random_strings_with_the_right_prefix_almost_never_pass_the_checksum(body):
    # A CRC32 in base62 lets one random string in about four billion through.
    with pytest.raises(MalformedTokenError, match="checksum"):
        parse("twp_" + body, TokenType.PERSONAL)


@pytest.mark.parametrize("value", ["", "twp", "twp-abc", "perm:abc", "xyz_" + "a" * 36, "TWP_"])
def test_strings_without_a_known_prefix_have_no_type(value):
    assert token_type_of(value) is None
