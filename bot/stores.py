"""Where the Rasa server keeps conversations (``ConversationStore``) and how two servers take turns with one
(``ConversationLockStore``).

Conversations are in Rasa's own SQL tracker store, at ``TRACKER_STORE_URL``.

One change to Rasa's store: the current session starts at the row of its latest ``session_started`` event,
not at that event's timestamp. Events appended over the HTTP API carry their writer's timestamps (the
notifier's, an agent's) and the session that Rasa opens for them is stamped after them: by timestamp,
those events fell outside the session, their slots were lost, and the next save wrote them again.

Rasa wraps every tracker store in ``FailSafeTrackerStore``, which, when the database fails, carries on with
an empty conversation in memory and keeps what follows there: the shopper talks to an assistant that has
forgotten them, and their messages are lost when the process stops. Ours is not wrapped: a database that
is down makes the turn fail, the channel says the assistant is unavailable for a moment (or, on WhatsApp,
Twilio delivers the message again), and nothing is kept anywhere but in the database.

The default is a SQLite file, ``var/conversations.db``: conversations survive a restart of the ``rasa``
process in the embedded profile too. In production it is a PostgreSQL database of its own
(``postgresql://…/conversations``): the Rasa server's SQLAlchemy 1.4 and Rasa's own table never share a
database, or a migration history, with the app's.
"""

import asyncio
import logging
import os
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Optional, Text

import rasa.core.agent
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockError, LockStore
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore, create_engine_kwargs
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
        # Each pooled connection is tested before it is used: after the database restarts, the first message
        # is answered on a new connection instead of failing on one the restart closed.
        url_ = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url_, pool_pre_ping=True, **create_engine_kwargs(url_))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

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


def _fail_safe_unless_ours(store: TrackerStore, *args: Any, **kwargs: Any) -> TrackerStore:
    return store if isinstance(store, ConversationStore) else FailSafeTrackerStore(store, *args, **kwargs)


# The Rasa agent wraps its tracker store when it is made, after endpoints.yml has loaded this module.
rasa.core.agent.FailSafeTrackerStore = _fail_safe_unless_ours  # type: ignore[assignment, misc]

# Compare-and-delete and compare-and-extend: a server only ever releases or extends its own hold.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_EXTEND = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
)


class ConversationLockStore(LockStore):
    """``lock_store: {type: bot.stores.ConversationLockStore}`` in endpoints.yml: one conversation is processed by
    one server at a time.

    Without ``REDIS_URL``: Rasa's in-memory lock store (one server). With it: a lock in Redis per conversation,
    taken with one atomic ``SET key token NX PX`` and released or extended only by its holder. Rasa's own
    ``RedisLockStore`` issues tickets by reading, incrementing and writing back the whole lock, so two servers
    can take the same ticket and process one conversation at once (RasaHQ/rasa#9213); here there is no ticket
    to race for. A held lock is extended while its turn runs; a server that dies lets go within
    ``CONVERSATION_LOCK_SECONDS`` (10). A turn waits at most ``CONVERSATION_LOCK_WAIT_SECONDS`` (60) for it.
    """

    POLL_SECONDS = 0.02

    def __init__(self, endpoint_config: Any = None) -> None:
        url = os.environ.get("REDIS_URL") or getattr(endpoint_config, "url", None)
        self.hold_ms = int(float(os.environ.get("CONVERSATION_LOCK_SECONDS", "10")) * 1000)
        self.max_wait = float(os.environ.get("CONVERSATION_LOCK_WAIT_SECONDS", "60"))
        self.prefix = os.environ.get("CONVERSATION_LOCK_PREFIX", "conversation-lock:")
        self.local: Optional[InMemoryLockStore] = None if url else InMemoryLockStore()
        self.redis = None
        if url:
            from redis import asyncio as aioredis

            self.redis = aioredis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            logger.info("conversation locks in Redis at %s", url.split("@")[-1])

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = 0, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        if self.local is not None:
            async with self.local.lock(conversation_id) as held:
                yield held
            return
        key, token = self.prefix + conversation_id, uuid.uuid4().hex
        await self._take(key, token, conversation_id)
        keeper = asyncio.ensure_future(self._keep(key, token))
        try:
            yield TicketLock(conversation_id)
        finally:
            keeper.cancel()
            try:
                await self.redis.eval(_RELEASE, 1, key, token)
            except Exception:  # it expires by itself within hold_ms
                logger.warning("could not release the lock of %s; it expires by itself", conversation_id)

    async def _take(self, key: Text, token: Text, conversation_id: Text) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        try:
            while not await self.redis.set(key, token, nx=True, px=self.hold_ms):
                if loop.time() > deadline:
                    raise LockError(f"conversation {conversation_id} stayed locked for {self.max_wait:.0f} s")
                await asyncio.sleep(self.POLL_SECONDS)
        except LockError:
            raise
        except Exception as error:
            raise LockError(f"the lock store (Redis) is unavailable: {error}") from error

    async def _keep(self, key: Text, token: Text) -> None:
        while True:
            await asyncio.sleep(self.hold_ms / 3000)
            try:
                await self.redis.eval(_EXTEND, 1, key, token, self.hold_ms)
            except Exception as error:
                logger.warning("could not extend a conversation lock: %s", error)
