"""Where the Rasa server keeps conversations: Rasa's own SQL tracker store, at ``TRACKER_STORE_URL``.

One change to Rasa's store: the current session starts at the row of its latest ``session_started`` event,
not at that event's timestamp. Events appended over the HTTP API carry their writer's timestamps (the
notifier's, an agent's) and the session that Rasa opens for them is stamped after them: by timestamp,
those events fell outside the session, their slots were lost, and the next save wrote them again.

The default is a SQLite file, ``var/conversations.db``: conversations survive a restart of the ``rasa``
process in the embedded profile too. In production it is a PostgreSQL database of its own
(``postgresql://…/conversations``): the Rasa server's SQLAlchemy 1.4 and Rasa's own table never share a
database, or a migration history, with the app's.
"""

import logging
import os
from pathlib import Path
from typing import Any, Optional, Text

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from sqlalchemy.orm import Query, Session

logger = logging.getLogger(__name__)

DEFAULT_URL = f"sqlite:///{Path(__file__).resolve().parent.parent / 'var' / 'conversations.db'}"


def tracker_store_url(given: Optional[Text] = None) -> Text:
    return os.environ.get("TRACKER_STORE_URL") or given or DEFAULT_URL


class ConversationStore(SQLTrackerStore):
    """``tracker_store: {type: bot.stores.ConversationStore}`` in endpoints.yml."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        url = tracker_store_url(host)
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        logger.info("conversations are kept in %s", url.split("@")[-1])  # never the password
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)

    def _event_query(self, session: Session, sender_id: Text, fetch_events_from_all_sessions: bool) -> Query:
        """The conversation's events in the order they were stored, from its latest session's start."""
        events = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id)
        if not fetch_events_from_all_sessions:
            start = (
                session.query(sa.func.max(self.SQLEvent.id))
                .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.type_name == SessionStarted.type_name)
                .scalar_subquery()
            )
            events = events.filter(sa.or_(start.is_(None), self.SQLEvent.id >= start))
        return events.order_by(self.SQLEvent.id)
