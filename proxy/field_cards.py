"""A card from fields (template, title, …): the one recipe behind `POST /api/v2/render` and
signed render URLs, so the same fields for the same project are the same card, under the same
slug, whichever way they came in."""

from __future__ import annotations

from dataclasses import dataclass

import renderer
from proxy.assets import AssetResolver
from proxy.cards import Cards, Prepared
from proxy.custom_templates import CustomTemplates, is_custom
from proxy.records import SpecRecord

__all__ = ["FieldCard", "FieldCards"]


@dataclass(frozen=True, slots=True)
class FieldCard:
    """A card ready to make: its slug and normalised spec, known before any render."""

    slug: str
    revision: int
    project: str
    spec: renderer.RenderSpec
    template: renderer.Template | None
    toml: bytes | None  # a custom template's source, kept with the card


class FieldCards:
    def __init__(self, cards: Cards, templates: CustomTemplates, assets: AssetResolver) -> None:
        self.cards = cards
        self._templates = templates
        self._assets = assets

    async def plan(self, project: str, spec: renderer.RenderSpec) -> FieldCard:
        """Normalise `spec` (the project's custom template when named) and derive its slug.
        Raises the renderer's SpecError / TemplateNotFound, TemplateNotFound for a custom id."""
        custom = (
            await self._templates.get(project, spec.template) if is_custom(spec.template) else None
        )
        template = self._templates.parsed(custom) if custom else None
        spec = renderer.normalize(spec, template)
        slug, revision = await self.cards.slug_for(project, renderer.spec_hash(spec, template))
        return FieldCard(
            slug, revision, project, spec, template, custom.toml.encode() if custom else None
        )

    async def make(self, card: FieldCard) -> tuple[SpecRecord, bool]:
        """The card, made now unless it exists: (record, True when this call made it)."""

        async def prepare() -> Prepared:
            prepared = Prepared(card.spec)
            for field in ("avatar", "logo"):
                value = getattr(card.spec, field)
                if value:
                    data, key = await self._assets.resolve(field, value)
                    prepared.assets[field], prepared.asset_keys[field] = data, key
            if card.toml is not None:
                # Kept content-addressed with the card, so an on-demand render can reproduce
                # it even after the template is deleted.
                prepared.asset_keys["template"] = await self._assets.keep(card.toml)
            return prepared

        return await self.cards.make(
            slug=card.slug,
            project=card.project,
            revision=card.revision,
            template=card.template,
            prepare=prepare,
        )
