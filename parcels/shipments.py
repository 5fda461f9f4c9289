"""Register shipments (orders with a promise) so that their tracking events can be ingested."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from parcels.deadlines import deadline_for
from parcels.ingest import (
    IngestReport,
    RecordError,
    Rejection,
    aware_time,
    optional_text,
    record_id,
    required_text,
    valid_tracking_number,
)
from parcels.language import SUPPORTED
from parcels.policy import Policy, current_policy
from parcels.shipment_records import NewShipment
from parcels.storage.unit_of_work import Repositories, UnitOfWork

_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{1,8}[A-Za-z0-9]$")
_LOCALES = set(SUPPORTED)


CHANNELS = ("whatsapp", "sms", "web")


def parse_shipment(record: Any, policy: Policy) -> NewShipment:
    if not isinstance(record, Mapping):
        raise RecordError("a shipment must be a JSON object")
    product = required_text(record, "product", 32).upper()
    if product not in policy.products:
        raise RecordError(f"unknown product {product!r}; known: {', '.join(sorted(policy.products))}")
    postal_code = required_text(record, "destination_postal_code", 16)
    if not _POSTAL_CODE.fullmatch(postal_code):
        raise RecordError(f"destination_postal_code {postal_code!r} is not a postal code")
    market = policy.market_of(product)
    if market.region_by_province and market.region_for(postal_code) is None:
        raise RecordError(f"destination_postal_code {postal_code!r} is not a postal code of market {market.code}")
    phone = optional_text(record, "customer_phone", 32)
    if phone is not None:
        phone = re.sub(r"[\s\-()]", "", phone)
        if not _PHONE.fullmatch(phone):
            raise RecordError(f"customer_phone {phone!r} is not in international format, e.g. +34612345678")
    locale = (optional_text(record, "customer_locale", 8) or market.locale).lower()[:2]
    if locale not in _LOCALES:
        raise RecordError(f"customer_locale {locale!r} is not one of {', '.join(sorted(_LOCALES))}")
    channel = optional_text(record, "customer_channel", 16)
    if channel is not None and channel.lower() not in CHANNELS:
        raise RecordError(f"customer_channel {channel!r} is not one of {', '.join(CHANNELS)}")
    return NewShipment(
        tracking_number=valid_tracking_number(record),
        order_ref=optional_text(record, "order_ref", 64),
        product_code=product,
        paid_at=aware_time(record, "paid_at"),
        postal_code=postal_code,
        city=optional_text(record, "destination_city", 100),
        customer_name=required_text(record, "customer_name", 200),
        customer_phone=phone,
        customer_email=optional_text(record, "customer_email", 254),
        customer_locale=locale,
        customer_channel=channel.lower() if channel else None,
    )


def register_shipments(uow: UnitOfWork, records: Sequence[Any]) -> IngestReport:
    """Create the valid shipments of a batch; a tracking number already known counts as a duplicate."""
    try:
        with uow.begin() as repos:
            return _register(repos, records)
    except IntegrityError:  # another writer registered some of the same numbers meanwhile: duplicates now
        with uow.begin() as repos:
            return _register(repos, records)


def _register(repos: Repositories, records: Sequence[Any]) -> IngestReport:
    policy = current_policy()
    report = IngestReport()
    parsed: list[NewShipment] = []
    for index, record in enumerate(records):
        try:
            parsed.append(parse_shipment(record, policy))
        except RecordError as error:
            report.rejected.append(Rejection(index, record_id(record, "tracking_number"), str(error)))
    known = repos.shipments.known({s.tracking_number for s in parsed})
    for new in parsed:
        if new.tracking_number in known:
            report.duplicates.append(new.tracking_number)
            continue
        known.add(new.tracking_number)
        market = policy.market_of(new.product_code)
        deadline = deadline_for(new.paid_at, policy.products[new.product_code], market, new.postal_code)
        repos.shipments.add(new, market.code, deadline.promised_date, deadline.ends_at)
        report.accepted.append(new.tracking_number)
    return report
