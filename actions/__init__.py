"""Custom actions: read the tracker, call the core, reply. Served by ``python -m rasa_sdk --actions actions``."""

from parcels.agent_hours import current_agent_hours
from templates.renderer import set_source_provider
from templates.versions import published_source

# Marketers' published versions of the catalogue override the shipped files, from the next message on.
set_source_provider(published_source)

# A mistake in the agents' hours stops start-up with the field and the reason, not the first handoff.
current_agent_hours()
