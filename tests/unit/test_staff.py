"""Staff accounts, sign-in limits and console sessions on the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parcels.sign_in import SESSION_LIFETIME, Limits, attempt_sign_in, open_session, revoke_session, staff_of_session
from parcels.staff import (
    Role,
    StaffError,
    StaffExists,
    create_staff,
    deactivate_staff,
    find_staff,
    get_staff,
    verify_staff,
)
from parcels.storage.memory import MemoryUnitOfWork

PASSWORD = "correct horse battery"
NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
LIMITS = Limits(per_account=3, per_address=5, window=timedelta(minutes=15))


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    memory = MemoryUnitOfWork()
    create_staff(memory, " Marta@Example.com", "Marta", "marketer", PASSWORD)
    return memory


def test_a_member_is_found_by_email_and_id_and_verified_by_password(uow: MemoryUnitOfWork) -> None:
    marta = find_staff(uow, "MARTA@example.com")
    assert marta is not None and marta.email == "marta@example.com" and marta.role is Role.MARKETER
    assert get_staff(uow, marta.id) == marta
    assert verify_staff(uow, "marta@example.com ", PASSWORD) == marta
    assert verify_staff(uow, "marta@example.com", "wrong password!") is None
    assert verify_staff(uow, "nobody@example.com", PASSWORD) is None


def test_a_second_account_for_an_email_is_refused_unless_updated(uow: MemoryUnitOfWork) -> None:
    with pytest.raises(StaffExists):
        create_staff(uow, "marta@example.com", "Otra", "agent", PASSWORD)
    updated = create_staff(uow, "marta@example.com", "Marta Admin", "admin", "another long one", update=True)
    assert updated.role is Role.ADMIN and len(uow.state.staff) == 1
    assert verify_staff(uow, "marta@example.com", "another long one") == updated


def test_what_an_account_cannot_be_is_refused_and_nothing_is_stored() -> None:
    uow = MemoryUnitOfWork()
    for email, name, role, password in [
        ("not-an-email", "A", "agent", PASSWORD),
        ("a@example.com", " ", "agent", PASSWORD),
        ("a@example.com", "A", "boss", PASSWORD),
        ("a@example.com", "A", "agent", "short"),
    ]:
        with pytest.raises(StaffError):
            create_staff(uow, email, name, role, password)
    assert uow.state.staff == {}


def test_a_deactivated_member_no_longer_signs_in_or_holds_a_session(uow: MemoryUnitOfWork) -> None:
    marta = find_staff(uow, "marta@example.com")
    assert marta is not None
    token = open_session(uow, marta.id, NOW)
    assert deactivate_staff(uow, "marta@example.com") and not deactivate_staff(uow, "nobody@example.com")
    assert verify_staff(uow, "marta@example.com", PASSWORD) is None
    assert get_staff(uow, marta.id) is None
    assert staff_of_session(uow, token, NOW) is None


def test_a_session_ends_when_revoked_or_when_its_lifetime_is_over(uow: MemoryUnitOfWork) -> None:
    marta = find_staff(uow, "marta@example.com")
    assert marta is not None
    token, other = open_session(uow, marta.id, NOW), open_session(uow, marta.id, NOW)
    assert staff_of_session(uow, token, NOW + SESSION_LIFETIME - timedelta(seconds=1)) == marta
    assert staff_of_session(uow, token, NOW + SESSION_LIFETIME) is None
    revoke_session(uow, token, NOW)
    assert staff_of_session(uow, token, NOW) is None and staff_of_session(uow, other, NOW) == marta
    assert staff_of_session(uow, "a made-up token", NOW) is None


def test_an_account_locks_after_its_failures_until_the_oldest_leaves_the_window(uow: MemoryUnitOfWork) -> None:
    for n in range(LIMITS.per_account):
        tried = attempt_sign_in(uow, "marta@example.com", "wrong", f"10.0.0.{n}", NOW + timedelta(minutes=n), LIMITS)
        assert tried.staff is None and not tried.locked
    locked = attempt_sign_in(uow, "marta@example.com", PASSWORD, "10.0.0.9", NOW + timedelta(minutes=3), LIMITS)
    assert locked.locked and locked.staff is None and locked.wait == timedelta(minutes=12)
    assert len(uow.state.sign_in_tries) == LIMITS.per_account  # a locked try is neither checked nor counted
    later = attempt_sign_in(uow, "marta@example.com", PASSWORD, "10.0.0.9", NOW + LIMITS.window, LIMITS)
    assert later.staff is not None


def test_a_success_starts_the_account_s_count_again(uow: MemoryUnitOfWork) -> None:
    for _ in range(LIMITS.per_account - 1):
        attempt_sign_in(uow, "marta@example.com", "wrong", "10.1.1.1", NOW, LIMITS)
    assert attempt_sign_in(uow, "marta@example.com", PASSWORD, "10.1.1.1", NOW, LIMITS).staff is not None
    for _ in range(LIMITS.per_account - 1):
        attempt_sign_in(uow, "marta@example.com", "wrong", "10.1.1.1", NOW + timedelta(seconds=1), LIMITS)
    assert attempt_sign_in(uow, "marta@example.com", PASSWORD, "10.1.1.1", NOW + timedelta(seconds=2), LIMITS).staff


def test_an_address_locks_after_its_failures_whatever_the_emails(uow: MemoryUnitOfWork) -> None:
    for n in range(LIMITS.per_address):
        assert not attempt_sign_in(uow, f"guess{n}@example.com", "wrong", "192.0.2.7", NOW, LIMITS).locked
    assert attempt_sign_in(uow, "marta@example.com", PASSWORD, "192.0.2.7", NOW, LIMITS).locked
    assert attempt_sign_in(uow, "marta@example.com", PASSWORD, "192.0.2.8", NOW, LIMITS).staff is not None


def test_old_tries_are_let_go_after_a_success(uow: MemoryUnitOfWork) -> None:
    attempt_sign_in(uow, "marta@example.com", "wrong", "10.2.2.2", NOW, LIMITS)
    attempt_sign_in(uow, "marta@example.com", PASSWORD, "10.2.2.2", NOW + timedelta(days=91), LIMITS)
    assert [t.at for t in uow.state.sign_in_tries] == [NOW + timedelta(days=91)]
