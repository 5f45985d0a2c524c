import re
from pathlib import Path

import pytest

import config

EXAMPLE = Path(__file__).parents[3] / "config" / "example.toml"


def test_defaults_need_nothing() -> None:
    s = config.load({})
    assert s.storage.data_dir == "./data"
    assert s.redis.url == ""
    assert s.cache.hot_bytes == 128 * 1024 * 1024


def test_environment_names_and_parsing() -> None:
    s = config.load(
        {
            "OGEDGE_DATA_DIR": "/srv/og",
            "OGEDGE_REDIS_URL": "redis://127.0.0.1:6379/0",
            "OGEDGE_S3_BUCKET": "cards",
            "OGEDGE_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "OGEDGE_S3_PREFIX": "og",
            "OGEDGE_PUBLIC_URL": "https://og.example.com",
            "OGEDGE_SECRET": "s3cret",
            "OGEDGE_IMAGE_RATE": "2.5",
            "OGEDGE_IMAGE_BURST": "7",
            "OGEDGE_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
            "OGEDGE_CACHE_HOT_BYTES": "64MiB",
            "OGEDGE_FETCH_ALLOW_PRIVATE": "true",
        }
    )
    assert s.storage.data_dir == "/srv/og"
    assert s.storage.s3.bucket == "cards" and s.storage.s3.prefix == "og"
    assert s.limits.image_rate == 2.5 and s.limits.image_burst == 7
    assert s.server.trusted_proxies == ("10.0.0.0/8", "127.0.0.1")
    assert s.cache.hot_bytes == 64 * 1024 * 1024
    assert s.fetch.allow_private is True


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(config.ConfigError) as info:
        config.load(
            {
                "OGEDGE_PORT": "eighty",
                "OGEDGE_IMAGE_RATE": "0",
                "OGEDGE_IMAGE_BURST": "-3",
                "OGEDGE_TRUSTED_PROXIES": "10.0.0.0/8,not-a-net",
                "OGEDGE_REDIS_URL": "http://wrong",
                "OGEDGE_PUBLIC_URL": "og.example.com",
                "OGEDGE_CACHE_HOT_BYTES": "lots",
                "OGEDGE_TYPO": "1",
            }
        )
    text = "\n".join(info.value.errors)
    for name in (
        "OGEDGE_PORT",
        "OGEDGE_IMAGE_RATE",
        "OGEDGE_IMAGE_BURST",
        "OGEDGE_TRUSTED_PROXIES",
        "OGEDGE_REDIS_URL",
        "OGEDGE_PUBLIC_URL",
        "OGEDGE_CACHE_HOT_BYTES",
        "OGEDGE_TYPO",
    ):
        assert name in text, name
    assert len(info.value.errors) == 8
    assert "expected integer, got 'eighty'" in text


def test_toml_file_and_env_precedence(tmp_path: Path) -> None:
    f = tmp_path / "og.toml"
    f.write_text('[server]\nport = 9001\n[limits]\nimage_burst = 3\n[storage.s3]\nbucket = "b"\n')
    s = config.load({"OGEDGE_CONFIG": str(f), "OGEDGE_IMAGE_BURST": "4"})
    assert s.server.port == 9001
    assert s.limits.image_burst == 4  # the environment wins over the file
    assert s.storage.s3.bucket == "b"


def test_toml_errors_name_file_and_key(tmp_path: Path) -> None:
    f = tmp_path / "og.toml"
    f.write_text('[server]\nport = "x"\nbogus = 1\n[limits]\nimage_rate = -1\n')
    with pytest.raises(config.ConfigError) as info:
        config.load({}, toml_path=str(f))
    text = "\n".join(info.value.errors)
    assert f"{f}: server.port: expected integer" in text
    assert f"{f}: unknown key server.bogus" in text
    assert "OGEDGE_IMAGE_RATE" in text


def test_unreadable_toml(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("[server\n")
    with pytest.raises(config.ConfigError, match="cannot read TOML"):
        config.load({}, toml_path=str(f))


def test_example_toml_is_the_defaults_and_names_every_variable() -> None:
    assert config.load({}, toml_path=str(EXAMPLE)) == config.Settings()
    text = EXAMPLE.read_text()
    documented = set(re.findall(r"OGEDGE_[A-Z0-9_]+", text))
    for name, path, _default, _type in config.env_table():
        assert name in documented, f"{name} ({path}) missing from config/example.toml"


def test_readme_configuration_table_is_current() -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    for name, _path, _default, _type in config.env_table():
        assert f"| `{name}` |" in readme, f"{name} missing from README (scripts/config_table.py)"
