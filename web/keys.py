"""Typed keys for what the app keeps."""

from aiohttp import web

from notifications.conversation import RasaConversations
from parcels.storage.unit_of_work import UnitOfWork
from web.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
RASA = web.AppKey("rasa", RasaConversations)  # the Rasa server's HTTP API, for agents' messages
# The process's storage seam: handlers of sub-applications (the console) reach it through request.config_dict.
UNIT_OF_WORK = web.AppKey[UnitOfWork]("unit_of_work")
