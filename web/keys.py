"""Typed keys for what the app keeps."""

from aiohttp import web

from notifications.conversation import RasaConversations
from web.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
RASA = web.AppKey("rasa", RasaConversations)  # the Rasa server's HTTP API, for agents' messages
