import pytest

from proxy.http.conditional import is_not_modified, none_match

ETAG = '"abc123"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"abc123"', True),
        ("*", True),
        (" * ", True),
        ('W/"abc123"', True),  # weak comparison, RFC 9110 §13.1.2
        ('"x", "abc123"', True),
        ('"x",W/"abc123" , "y"', True),
        ('"x","y"', False),
        ('"abc124"', False),
        ('"abc"', False),
        ("abc123", False),  # unquoted is not an entity-tag
        ('"a,b", "abc123"', True),  # a comma inside a tag does not split it
        ('"a,"abc123"', False),  # the quotes pair up as "a," then junk
        ('"abc123', False),  # unterminated
        ("", False),
        (",,,", False),
        ("W/", False),
    ],
)
def test_none_match(header: str, expected: bool) -> None:
    assert none_match(header, ETAG) is expected


def test_if_none_match_wins_over_if_modified_since() -> None:
    modified = 1_700_000_000.0
    late = "Wed, 01 Jan 2031 00:00:00 GMT"
    assert is_not_modified('"other"', late, ETAG, modified) is False
    assert is_not_modified(None, late, ETAG, modified) is True


def test_if_modified_since() -> None:
    modified = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT
    assert is_not_modified(None, "Tue, 14 Nov 2023 22:13:20 GMT", ETAG, modified) is True
    assert is_not_modified(None, "Tue, 14 Nov 2023 22:13:19 GMT", ETAG, modified) is False
    assert is_not_modified(None, "not a date", ETAG, modified) is False
    assert is_not_modified(None, None, ETAG, modified) is False
