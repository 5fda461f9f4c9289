"""Class 7: sign-in limits that hold. Failures are counted in the database (shared by every web process), per
account and per client address, and cannot be flushed out by failing on other emails; every try costs one
password hash whatever is typed; signing out revokes the session for every copy of its cookie."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from parcels import staff as staff_module
from parcels.sign_in import Limits, attempt_sign_in, wait_for
from parcels.staff import create_staff
from parcels.storage.db import session_scope
from parcels.storage.models import SignInAttempt
from parcels.storage.unit_of_work import SqlUnitOfWork
from tests.integration.test_console import MARKETER, PASSWORD, csrf_of, sign_in
from tests.integration.test_console import settings as console_settings
from web.app import create_app
from web.settings import Settings

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
LIMITS = Limits()
UOW = SqlUnitOfWork()  # the default engine's: the test database


@pytest.fixture
def marketer(db: Engine) -> None:
    create_staff(UOW, MARKETER, "Marta Marketing", "marketer", PASSWORD)


def test_the_lock_ends_when_the_oldest_counted_failure_leaves_the_window() -> None:
    failures = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4, 10)]  # newest first
    assert wait_for(failures, 5, timedelta(minutes=15), NOW) == timedelta(minutes=5)
    assert wait_for(failures[:4], 5, timedelta(minutes=15), NOW) == timedelta(0)
    assert wait_for(failures, 5, timedelta(minutes=15), NOW + timedelta(minutes=5)) == timedelta(0)


def test_an_account_locks_after_five_failures_whatever_the_address(marketer: None) -> None:
    for n in range(5):
        assert attempt_sign_in(UOW, MARKETER, "wrong", f"10.0.0.{n}", NOW).staff is None
    locked = attempt_sign_in(UOW, MARKETER, PASSWORD, "10.0.0.99", NOW + timedelta(seconds=1))
    assert locked.locked and locked.staff is None
    later = attempt_sign_in(UOW, MARKETER, PASSWORD, "10.0.0.99", NOW + LIMITS.window)
    assert later.staff is not None


def test_an_address_locks_after_twenty_failures_whatever_the_emails(marketer: None) -> None:
    for n in range(LIMITS.per_address):
        assert not attempt_sign_in(UOW, f"guess{n}@example.com", "wrong", "192.0.2.7", NOW).locked
    assert attempt_sign_in(UOW, MARKETER, PASSWORD, "192.0.2.7", NOW).locked
    assert attempt_sign_in(UOW, MARKETER, PASSWORD, "192.0.2.8", NOW).staff is not None  # another address is not held


def test_failing_on_ten_thousand_other_emails_does_not_unlock_an_account(marketer: None) -> None:
    for _ in range(5):
        attempt_sign_in(UOW, MARKETER, "wrong", "198.51.100.1", NOW)
    spray = [
        {"email": f"other{n}@example.com", "address": f"203.0.{n // 250}.{n % 250}", "succeeded": False, "at": NOW}
        for n in range(10_000)
    ]
    with session_scope() as session:
        session.execute(insert(SignInAttempt), spray)
    assert attempt_sign_in(UOW, MARKETER, PASSWORD, "198.51.100.2", NOW + timedelta(minutes=1)).locked


def test_a_success_clears_the_accounts_failures_but_not_the_addresss(marketer: None) -> None:
    for _ in range(4):
        attempt_sign_in(UOW, MARKETER, "wrong", "10.1.1.1", NOW)
    assert attempt_sign_in(UOW, MARKETER, PASSWORD, "10.1.1.1", NOW).staff is not None
    for _ in range(4):
        attempt_sign_in(UOW, MARKETER, "wrong", "10.1.1.1", NOW + timedelta(seconds=1))
    assert attempt_sign_in(UOW, MARKETER, PASSWORD, "10.1.1.1", NOW + timedelta(seconds=2)).staff is not None


@pytest.mark.parametrize(("email", "password"), [(MARKETER, ""), ("", ""), ("", PASSWORD), ("nobody@x.org", "a")])
def test_every_try_costs_one_password_hash(
    marketer: None, monkeypatch: pytest.MonkeyPatch, email: str, password: str
) -> None:
    real = staff_module._hasher
    calls: list[str] = []

    class Counting:
        def verify(self, stored: str, given: str) -> bool:
            calls.append(given)
            return real.verify(stored, given)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setattr(staff_module, "_hasher", Counting())
    assert attempt_sign_in(UOW, email, password, "10.2.2.2", NOW).staff is None
    assert len(calls) == 1


def quick() -> Settings:
    """The console's settings without the pause after each failed sign-in."""
    return dataclasses.replace(console_settings(), console_failure_delay=0.0)


async def test_two_web_processes_share_the_lock(aiohttp_client, marketer: None) -> None:  # type: ignore[no-untyped-def]
    first = await aiohttp_client(create_app(quick()))
    second = await aiohttp_client(create_app(quick()))
    for _ in range(5):
        assert (await sign_in(first, MARKETER, "not the password")).status == 401
    response = await sign_in(second, MARKETER, PASSWORD)
    assert response.status == 429
    assert "too many failed sign-ins" in await response.text()


async def test_signing_out_revokes_every_copy_of_the_cookie(aiohttp_client, marketer: None) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(quick()))
    assert (await sign_in(client)).status == 303
    copied = {cookie.key: cookie.value for cookie in client.session.cookie_jar}
    page = await client.get("/console/templates")
    assert page.status == 200
    response = await client.post("/console/logout", data={"csrf_token": csrf_of(await page.text())})
    assert response.status == 200  # the sign-in page, after the redirect
    client.session.cookie_jar.update_cookies(copied)  # the copy an attacker kept
    assert (await client.get("/console/templates", allow_redirects=False)).status == 303
    assert (await client.post("/console/api/preview", json={})).status in (401, 403)


async def test_a_client_cannot_choose_its_address(aiohttp_client, marketer: None) -> None:  # type: ignore[no-untyped-def]
    """X-Forwarded-For is believed only from a trusted proxy: a client cannot give itself new addresses."""
    client = await aiohttp_client(create_app(quick()))
    for n in range(LIMITS.per_address):
        response = await sign_in_from(client, f"guess{n}@example.com", f"203.0.113.{n}")
        assert response.status == 401
    assert (await sign_in_from(client, MARKETER, "203.0.113.250", PASSWORD)).status == 429


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(aiohttp_client, marketer: None) -> None:  # type: ignore[no-untyped-def]
    settings = dataclasses.replace(quick(), trusted_proxies=frozenset({"127.0.0.1"}))
    client = await aiohttp_client(create_app(settings))
    for n in range(LIMITS.per_address):
        assert (await sign_in_from(client, f"guess{n}@example.com", "203.0.113.9")).status == 401
    assert (await sign_in_from(client, MARKETER, "203.0.113.9", PASSWORD)).status == 429
    assert (await sign_in_from(client, MARKETER, "203.0.113.10", PASSWORD)).status == 303


async def sign_in_from(client, email: str, address: str, password: str = "wrong"):  # type: ignore[no-untyped-def]
    token = csrf_of(await (await client.get("/console/login")).text())
    form = {"email": email, "password": password, "csrf_token": token, "next": ""}
    headers = {"X-Forwarded-For": address}
    return await client.post("/console/login", data=form, headers=headers, allow_redirects=False)
