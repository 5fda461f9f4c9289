"""Markets and logistics products, loaded from configuration and validated on load."""

from __future__ import annotations

import enum
import itertools
import os
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from parcels.language import SUPPORTED

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent.parent / "config" / "policy.yml"


class PolicyError(Exception):
    """A policy file that cannot be used: names the file, the field and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _named_in(where: str, names: dict[str, str], languages: list[str]) -> None:
    """A name shoppers read must exist in every language they are answered in."""
    missing = [language for language in languages if not names.get(language, "").strip()]
    if missing:
        raise ValueError(f"{where}.name: no name in {', '.join(missing)}")


def _check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


class ForceMajeure(_Strict):
    """A declared period (local dates, inclusive) in which delays are not the carrier's to compensate."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: dict[str, str]
    first_day: date
    last_day: date
    provinces: list[str] = []  # empty: the whole market

    @model_validator(mode="after")
    def _ordered(self) -> ForceMajeure:
        if self.last_day < self.first_day:
            raise ValueError(f"last_day {self.last_day} is before first_day {self.first_day}")
        return self

    def covers(self, first: date, last: date, province: str) -> bool:
        """Whether the period overlaps the local days ``first``..``last`` at ``province``."""
        in_place = not self.provinces or province in self.provinces
        return in_place and self.first_day <= last and first <= self.last_day


class Market(_Strict):
    code: str = ""
    locale: str  # the language when nothing tells which: one of ``languages``
    languages: list[str] = []  # every language the market's shoppers are answered in (empty: only ``locale``)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    holiday_country: str
    time_zone: str
    time_zone_by_province: dict[str, str] = {}
    region_by_province: dict[str, str] = {}
    force_majeure: list[ForceMajeure] = []

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_time_zone(value)

    @field_validator("time_zone_by_province")
    @classmethod
    def _zones(cls, value: dict[str, str]) -> dict[str, str]:
        for zone in value.values():
            _check_time_zone(zone)
        return value

    @model_validator(mode="after")
    def _regions_exist(self) -> Market:
        try:
            known = set(holidays.country_holidays(self.holiday_country).subdivisions)
        except NotImplementedError:
            raise ValueError(f"no holiday calendar for country {self.holiday_country!r}") from None
        unknown = sorted(set(self.region_by_province.values()) - known)
        if unknown:
            raise ValueError(f"regions without a holiday calendar: {', '.join(unknown)}")
        return self

    @model_validator(mode="after")
    def _languages_spoken(self) -> Market:
        if not self.languages:
            object.__setattr__(self, "languages", [self.locale])
        unknown = sorted(set(self.languages) - set(SUPPORTED))
        if unknown:
            raise ValueError(f"languages we do not speak: {', '.join(unknown)} (we speak {', '.join(SUPPORTED)})")
        if self.locale not in self.languages:
            raise ValueError(f"locale {self.locale!r} is not one of the market's languages")
        for period in self.force_majeure:
            _named_in(f"force_majeure {period.id}", period.name, self.languages)
        return self

    @staticmethod
    def province(postal_code: str) -> str:
        return postal_code.strip()[:2]

    def zone_for(self, postal_code: str) -> ZoneInfo:
        return ZoneInfo(self.time_zone_by_province.get(self.province(postal_code), self.time_zone))

    def region_for(self, postal_code: str) -> str | None:
        return self.region_by_province.get(self.province(postal_code))


class LeadTimeUnit(enum.StrEnum):
    CALENDAR_DAYS = "calendar_days"
    BUSINESS_DAYS = "business_days"


class LeadTime(_Strict):
    days: int = Field(gt=0, le=120)
    unit: LeadTimeUnit


class CompensationForm(enum.StrEnum):
    COUPON = "coupon"
    REFUND = "refund"


class Grant(enum.StrEnum):
    AUTOMATIC = "automatic"  # paid without asking once the promise is broken
    ON_APPLICATION = "on_application"  # the shopper has to claim it


class Tier(_Strict):
    days_late: int = Field(ge=1)  # from this many days late on
    form: CompensationForm
    amount: Decimal = Field(gt=0, max_digits=10, decimal_places=2)


class Compensation(_Strict):
    grant: Grant
    claim_window_days: int = Field(ge=1, le=365)  # counted from the promised day
    tiers: list[Tier] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _tiers_grow(cls, tiers: list[Tier]) -> list[Tier]:
        for before, after in itertools.pairwise(tiers):
            if after.days_late <= before.days_late:
                raise ValueError(f"tiers must be in increasing days_late order ({before.days_late}, {after.days_late})")
            if after.amount < before.amount:
                raise ValueError(f"a later tier pays less ({after.amount} after {before.amount})")
        return tiers

    def tier_for(self, days_late: int) -> Tier | None:
        """The tier that applies to a parcel ``days_late`` days late (None: not late enough for any)."""
        return next((tier for tier in reversed(self.tiers) if days_late >= tier.days_late), None)


STAGE_NUMBERS = frozenset(range(1, 8))


class Product(_Strict):
    code: str = ""
    market: str
    name: dict[str, str]
    lead_time: LeadTime
    # Typical days each of the seven stages takes: how at-risk promises are found.
    stage_days: dict[int, float]
    compensation: Compensation

    @field_validator("stage_days")
    @classmethod
    def _all_stages(cls, value: dict[int, float]) -> dict[int, float]:
        if set(value) != STAGE_NUMBERS:
            raise ValueError(f"give a typical duration for each stage 1-7 (got {sorted(value)})")
        if any(days < 0 for days in value.values()):
            raise ValueError("typical durations cannot be negative")
        return value


class Policy(_Strict):
    version: str
    markets: dict[str, Market]
    products: dict[str, Product]

    @model_validator(mode="after")
    def _codes_and_references(self) -> Policy:
        for code, market in self.markets.items():
            object.__setattr__(market, "code", code)
        for code, product in self.products.items():
            object.__setattr__(product, "code", code)
            if product.market not in self.markets:
                raise ValueError(f"products.{code}.market: unknown market {product.market!r}")
            _named_in(f"products.{code}", product.name, self.markets[product.market].languages)
        return self

    def product(self, code: str) -> Product:
        return self.products[code]

    @property
    def languages(self) -> list[str]:
        """Every language some market's shoppers are answered in, each once."""
        return list(dict.fromkeys(language for market in self.markets.values() for language in market.languages))

    def market_of(self, product_code: str) -> Market:
        return self.markets[self.products[product_code].market]


def load_policy(path: Path | str) -> Policy:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: cannot read the policy: {error}") from error
    try:
        return Policy.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors()
        )
        raise PolicyError(f"{path}: {problems}") from error


@cache
def current_policy() -> Policy:
    """The policy named by ``POLICY_FILE`` (default ``config/policy.yml``), loaded once."""
    return load_policy(os.environ.get("POLICY_FILE", DEFAULT_POLICY_FILE))
