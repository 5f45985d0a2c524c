"""The renderer's error hierarchy.

Every error the renderer raises on purpose derives from `RenderError`, so a caller can map
"the request was wrong" (spec, template, asset) to a 4xx and anything else to a real bug.
Errors that concern one input carry the JSON field name so an API can say which field failed.
"""

from __future__ import annotations

__all__ = [
    "AssetError",
    "RenderError",
    "RuntimeUnsupported",
    "SpecError",
    "TemplateError",
    "TemplateNotFound",
]


class RenderError(Exception):
    """Base class of every deliberate renderer failure."""


class SpecError(RenderError, ValueError):
    """A render-spec field is invalid; `field` is its JSON (camelCase) name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TemplateNotFound(SpecError):
    """The spec names a template that is not installed."""

    def __init__(self, name: str, available: list[str]) -> None:
        super().__init__(
            "template", f"unknown template {name!r}; available: {', '.join(available)}"
        )
        self.name = name


class TemplateError(RenderError):
    """A template file is malformed; the message names the file, layer and key."""


class AssetError(RenderError):
    """An asset (avatar, logo, favicon, page image) cannot be used safely."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RuntimeUnsupported(RenderError):
    """The libvips runtime is too old or misconfigured to render safely."""
