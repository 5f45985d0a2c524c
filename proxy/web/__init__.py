"""The web front end served by ogedge itself: gallery, playground, template editor, console,
and the offline API docs at /schema (see pages.py, docs.py, static/)."""

from litestar.openapi import OpenAPIConfig

from proxy.web.docs import openapi_config as _openapi_config
from proxy.web.pages import STATIC, web_handlers

__all__ = ["STATIC", "openapi_config", "web_handlers"]


def openapi_config() -> OpenAPIConfig:
    return _openapi_config(STATIC)
