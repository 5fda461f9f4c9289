"""Typed keys for what the app keeps."""

from aiohttp import web

from web.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
