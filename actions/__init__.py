"""Custom actions: read the tracker, call the core, reply. Served by ``python -m rasa_sdk --actions actions``."""

from actions.storage import UNIT_OF_WORK
from parcels.agent_hours import current_agent_hours
from templates.renderer import set_source_provider
from templates.versions import source_provider

# Marketers' published versions of the catalogue override the shipped files, from the next message on.
set_source_provider(source_provider(UNIT_OF_WORK))

# A mistake in the agents' hours stops start-up with the field and the reason, not the first handoff.
current_agent_hours()
