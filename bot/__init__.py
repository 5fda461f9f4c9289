"""Code that runs inside the Rasa server (rasa env only: Python 3.10, rasa 3.6, twilio 8, SQLAlchemy 1.4)."""

from bot import log_masking

log_masking.install()  # before Rasa logs its first conversation
