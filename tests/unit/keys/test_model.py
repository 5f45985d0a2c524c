"""Formats of secrets, ids and names, and input validation."""

from __future__ import annotations

import hashlib
import re

import pytest

from proxy.keys.model import (
    InvalidInput,
    check_burst,
    check_key_id,
    check_label,
    check_monthly_quota,
    check_project,
    check_rate,
    hash_secret,
    is_well_formed_secret,
    new_key_id,
    new_secret,
)


def test_secret_and_id_formats() -> None:
    secrets = {new_secret() for _ in range(200)}
    assert len(secrets) == 200
    for secret in secrets:
        assert re.fullmatch(r"ogk_live_[0-9A-Za-z]{32}", secret)
        assert is_well_formed_secret(secret)
    assert re.fullmatch(r"key_[0-9A-Za-z]{12}", new_key_id())


@pytest.mark.parametrize(
    "value",
    ["", "ogk_live_", "ogk_test_" + "a" * 32, "ogk_live_" + "a" * 31, "ogk_live_" + "a" * 33,
     "ogk_live_" + "a" * 31 + "!", " ogk_live_" + "a" * 32],
)  # fmt: skip
def test_malformed_secrets(value: str) -> None:
    assert not is_well_formed_secret(value)


def test_hash_is_plain_sha256_hex() -> None:
    secret = new_secret()
    assert hash_secret(secret) == hashlib.sha256(secret.encode()).hexdigest()


@pytest.mark.parametrize("name", ["a", "acme", "0x", "my_project-2", "a" * 64])
def test_valid_project_names(name: str) -> None:
    assert check_project(name) == name


@pytest.mark.parametrize("name", ["", "Acme", "-a", "_a", "a" * 65, "a/b", "..", "a.b", "a b", "é"])
def test_invalid_project_names(name: str) -> None:
    with pytest.raises(InvalidInput, match="project name"):
        check_project(name)


def test_numbers_and_labels() -> None:
    assert check_rate(10) == 10.0
    assert check_burst(1) == 1
    assert check_monthly_quota(0) == 0
    assert check_label("ci bot") == "ci bot"
    assert check_key_id("key_abcDEF012345") == "key_abcDEF012345"
    for bad_rate in (0, -1, float("nan"), float("inf")):
        with pytest.raises(InvalidInput):
            check_rate(bad_rate)
    for bad_burst in (0, -5, True):
        with pytest.raises(InvalidInput):
            check_burst(bad_burst)
    with pytest.raises(InvalidInput):
        check_monthly_quota(-1)
    with pytest.raises(InvalidInput):
        check_label("bad\x1b[31m")
    with pytest.raises(InvalidInput):
        check_label("x" * 201)
    for bad_id in ("key_short", "key_abcDEF01234!", "../../etc", "KEY_abcDEF012345"):
        with pytest.raises(InvalidInput):
            check_key_id(bad_id)
