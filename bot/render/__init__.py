"""Rendering of every message, modal and digest from Jinja templates."""

from bot.render.environment import Message, Renderer, TemplateOutputError

__all__ = ["Message", "Renderer", "TemplateOutputError"]
