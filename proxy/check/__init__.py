"""Checking how a page will look when shared: its og:/twitter: tags, image and robots.txt judged
against each platform's rules (platforms.toml, every rule with its source)."""

from proxy.check.checker import PageChecker
from proxy.check.report import (
    Finding,
    ImageReport,
    Level,
    PlatformReport,
    Preview,
    Report,
    RobotsReport,
)
from proxy.check.rules import ImageRule, Platform, RulesError, load_platforms

__all__ = [
    "Finding",
    "ImageReport",
    "ImageRule",
    "Level",
    "PageChecker",
    "Platform",
    "PlatformReport",
    "Preview",
    "Report",
    "RobotsReport",
    "RulesError",
    "load_platforms",
]
