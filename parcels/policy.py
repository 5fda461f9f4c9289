"""Markets and logistics products, loaded from configuration and validated on load."""

from __future__ import annotations

import enum
import os
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent.parent / "config" / "policy.yml"


class PolicyError(Exception):
    """A policy file that cannot be used: names the file, the field and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


class Market(_Strict):
    code: str = ""
    locale: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    holiday_country: str
    time_zone: str
    time_zone_by_province: dict[str, str] = {}
    region_by_province: dict[str, str] = {}

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


class Product(_Strict):
    code: str = ""
    market: str
    name: dict[str, str]
    lead_time: LeadTime


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
        return self

    def product(self, code: str) -> Product:
        return self.products[code]

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
