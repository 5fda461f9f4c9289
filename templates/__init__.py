"""The message catalogue: Jinja2 files per message x channel x locale, and the one renderer."""
