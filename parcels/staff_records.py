"""What a staff member is, as plain values: their role, the account the console shows, and the account with its
password hash, which only the staff use cases see. Storage hands these out; no ORM row leaves it."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    AGENT = "agent"
    MARKETER = "marketer"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    email: str
    name: str
    role: Role
    active: bool


@dataclass(frozen=True, slots=True)
class StaffAccount:
    member: StaffMember
    password_hash: str
