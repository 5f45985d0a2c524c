"""Settings: frozen structs per area, loaded once from OGEDGE_* variables and an optional TOML file."""

from config.loader import ConfigError, env_table, load
from config.names import env_name
from config.settings import (
    CacheSettings,
    FetchSettings,
    LimitSettings,
    RedisSettings,
    RenderSettings,
    S3Settings,
    ServerSettings,
    Settings,
    StorageSettings,
)

__all__ = [
    "CacheSettings",
    "ConfigError",
    "FetchSettings",
    "LimitSettings",
    "RedisSettings",
    "RenderSettings",
    "S3Settings",
    "ServerSettings",
    "Settings",
    "StorageSettings",
    "env_name",
    "env_table",
    "load",
]
