"""The unit of work: one transaction and the repositories that work inside it.

Each process builds one ``SqlUnitOfWork`` at start (the web app in its cleanup context, the action server
when it loads, the notifier in ``main``) and hands it to the use cases as their first argument; a use case
opens ``with uow.begin() as repos:`` for each transaction it needs. It commits when the block ends and
rolls back when it raises. The unit tests hand the same use cases ``parcels.storage.memory.MemoryUnitOfWork``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from parcels.storage.conversation_store import ConversationDayRepository, SqlConversationDays
from parcels.storage.db import default_engine, session_scope
from parcels.storage.detection_store import DetectionRepository, SqlDetection
from parcels.storage.handoff_store import SqlHandoffs
from parcels.storage.metrics_store import MetricsRepository, SqlMetrics
from parcels.storage.outbox_store import (
    ConsentRepository,
    EarlyStatusRepository,
    OutboxRepository,
    SqlConsents,
    SqlEarlyStatuses,
    SqlOutbox,
)
from parcels.storage.privacy_store import PrivacyRepository, SqlPrivacy
from parcels.storage.repositories import ClaimRepository, HandoffRepository, ParcelRepository, SqlClaims, SqlParcels
from parcels.storage.shipment_store import ShipmentRepository, SqlShipments
from parcels.storage.sign_in_store import SignInAttemptRepository, SqlSignInAttempts
from parcels.storage.staff_store import SqlStaff, SqlStaffSessions, StaffRepository, StaffSessionRepository
from parcels.storage.template_store import SqlTemplateVersions, TemplateVersionRepository


@dataclass(frozen=True)
class Repositories:
    """What one transaction works with, whichever storage holds it."""

    parcels: ParcelRepository
    shipments: ShipmentRepository
    claims: ClaimRepository
    handoffs: HandoffRepository
    staff: StaffRepository
    staff_sessions: StaffSessionRepository
    sign_in_attempts: SignInAttemptRepository
    template_versions: TemplateVersionRepository
    outbox: OutboxRepository
    early_statuses: EarlyStatusRepository
    consents: ConsentRepository
    detection: DetectionRepository
    metrics: MetricsRepository
    conversation_days: ConversationDayRepository
    privacy: PrivacyRepository


class UnitOfWork(Protocol):
    def begin(self) -> AbstractContextManager[Repositories]: ...


class SqlUnitOfWork:
    """Transactions on ``engine`` (the process's default engine, from ``DATABASE_URL``, when None).

    Safe to share between threads: each ``begin()`` has a session of its own."""

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine or default_engine()

    @contextmanager
    def _transaction(self) -> Iterator[Repositories]:
        with session_scope(self.engine) as session:
            yield Repositories(
                parcels=SqlParcels(session),
                shipments=SqlShipments(session),
                claims=SqlClaims(session),
                handoffs=SqlHandoffs(session),
                staff=SqlStaff(session),
                staff_sessions=SqlStaffSessions(session),
                sign_in_attempts=SqlSignInAttempts(session),
                template_versions=SqlTemplateVersions(session),
                outbox=SqlOutbox(session),
                early_statuses=SqlEarlyStatuses(session),
                consents=SqlConsents(session),
                detection=SqlDetection(session),
                metrics=SqlMetrics(session),
                conversation_days=SqlConversationDays(session),
                privacy=SqlPrivacy(session),
            )

    def begin(self) -> AbstractContextManager[Repositories]:
        return self._transaction()
