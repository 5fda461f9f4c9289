"""Custom actions: read the tracker, call the core, reply. Served by ``python -m rasa_sdk --actions actions``."""
