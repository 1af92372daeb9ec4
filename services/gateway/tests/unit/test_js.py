"""The JavaScript built-ins, against values Node 20 gives."""

import pytest

from authmesh_gateway.wire.js import (
    encode_uri_component,
    json_stringify,
    text_encode,
    trim,
    try_decode_uri_component,
    utf16_length,
)


def test_encode_uri_component() -> None:
    # encodeURIComponent("a+b/c=d;e f-_.!~*'()é😀")
    assert encode_uri_component("a+b/c=d;e f-_.!~*'()é😀") == (
        "a%2Bb%2Fc%3Dd%3Be%20f-_.!~*'()%C3%A9%F0%9F%98%80"
    )


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("plain+text", "plain+text"),
        ("a%2Bb%2fc%3D", "a+b/c="),
        ("%C3%A9%F0%9F%98%80", "é😀"),
        ("%zz", "%zz"),  # decodeURIComponent throws: kept
        ("%41%", "%41%"),
        ("%%41", "%%41"),
        ("%C3", "%C3"),  # truncated UTF-8
        ("%ED%A0%80", "%ED%A0%80"),  # an encoded surrogate
        ("%C3x%A9", "%C3x%A9"),
    ],
)
def test_try_decode_uri_component(text: str, decoded: str) -> None:
    assert try_decode_uri_component(text) == decoded


def test_trim_removes_javascript_whitespace_only() -> None:
    assert trim("\ufeff\u00a0 a b\u2028\t") == "a b"
    assert trim("\x1ca\x85") == "\x1ca\x85"  # Python's strip() would remove these


def test_utf16_length() -> None:
    # Peer: 64 emoji (128 units) passes the 128 cap, 65 is PASSWORD_TOO_LONG;
    # 3 emoji (6 units) is PASSWORD_TOO_SHORT for the 8 minimum, 4 is accepted.
    assert utf16_length("😀" * 64) == 128
    assert utf16_length("😀" * 65) == 130
    assert utf16_length("😀" * 3) == 6
    assert utf16_length("é\ud800") == 2


def test_text_encode_replaces_lone_surrogates() -> None:
    assert text_encode("a\ud800é") == b"a\xef\xbf\xbd\xc3\xa9"


def test_json_stringify() -> None:
    # JSON.stringify({a:[1,1.5,true,null],"é":"\n\u2028\ud800"})
    value = {"a": [1, 1.5, True, None], "é": "\n\u2028\ud800"}
    assert json_stringify(value) == '{"a":[1,1.5,true,null],"é":"\\n\u2028\\ud800"}'
    with pytest.raises(ValueError, match="JSON compliant"):
        json_stringify(float("inf"))
