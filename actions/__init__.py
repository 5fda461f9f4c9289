"""Custom actions: read the tracker, call the core, reply. Served by ``python -m actions`` (``actions/server.py``)."""
