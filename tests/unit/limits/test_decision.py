from __future__ import annotations

import pytest

from proxy.limits import Decision, rate_limit_headers


def test_denied_headers_carry_retry_after_and_ratelimit_fields() -> None:
    d = Decision(False, 100, 0, 1.2, 2.01, 2.0)
    assert d.headers() == rate_limit_headers(d)
    assert dict(d.headers()) == {
        b"retry-after": b"2",
        b"ratelimit-limit": b"100",
        b"ratelimit-remaining": b"0",
        b"ratelimit-reset": b"3",
        b"ratelimit-policy": b"100;w=2",
    }


@pytest.mark.parametrize(("retry_after", "header"), [(0.0, b"1"), (0.001, b"1"), (1.0, b"1")])
def test_retry_after_is_a_whole_second_at_least(retry_after: float, header: bytes) -> None:
    headers = dict(Decision(False, 5, 0, retry_after, 1.0, 0.1).headers())
    assert headers[b"retry-after"] == header
    # A sub-second window still names a whole second.
    assert headers[b"ratelimit-policy"] == b"5;w=1"


def test_allowed_has_no_retry_after() -> None:
    headers = Decision(True, 10, 7, 0.0, 0.3, 0.2).headers()
    assert [name for name, _ in headers] == [
        b"ratelimit-limit",
        b"ratelimit-remaining",
        b"ratelimit-reset",
        b"ratelimit-policy",
    ]
    assert dict(headers)[b"ratelimit-remaining"] == b"7"
    # ASGI wants lower-case names and bytes values.
    assert all(name == name.lower() and isinstance(value, bytes) for name, value in headers)


def test_decision_is_frozen() -> None:
    d = Decision(True, 1, 0, 0.0, 1.0, 1.0)
    with pytest.raises(AttributeError):
        d.allowed = False  # type: ignore[misc]
