"""Custom actions: read the tracker, call the core, reply. Served by ``python -m rasa_sdk --actions actions``."""

from templates.renderer import set_source_provider
from templates.versions import published_source

# Marketers' published versions of the catalogue override the shipped files, from the next message on.
set_source_provider(published_source)
