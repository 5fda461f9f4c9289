"""Register shipments (orders with a promise) so that their tracking events can be ingested."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
from parcels.policy import Policy, current_policy
from parcels.storage.db import session_scope
from parcels.storage.models import Customer, Shipment

_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{1,8}[A-Za-z0-9]$")
_LOCALES = {"es", "en"}


@dataclass(frozen=True, slots=True)
class NewShipment:
    tracking_number: str
    order_ref: str | None
    product_code: str
    paid_at: datetime
    postal_code: str
    city: str | None
    customer_name: str
    customer_phone: str | None
    customer_email: str | None
    customer_locale: str
    customer_channel: str | None = None


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


def register_shipments(records: Sequence[Any], engine: Engine | None = None) -> IngestReport:
    """Create the valid shipments of a batch; a tracking number already known counts as a duplicate."""
    try:
        with session_scope(engine) as session:
            return _register(session, records)
    except IntegrityError:
        with session_scope(engine) as session:
            return _register(session, records)


def _register(session: Session, records: Sequence[Any]) -> IngestReport:
    policy = current_policy()
    report = IngestReport()
    parsed: list[NewShipment] = []
    for index, record in enumerate(records):
        try:
            parsed.append(parse_shipment(record, policy))
        except RecordError as error:
            report.rejected.append(Rejection(index, record_id(record, "tracking_number"), str(error)))
    numbers = {s.tracking_number for s in parsed}
    known = (
        set(session.scalars(select(Shipment.tracking_number).where(Shipment.tracking_number.in_(numbers))))
        if numbers
        else set()
    )
    for new in parsed:
        if new.tracking_number in known:
            report.duplicates.append(new.tracking_number)
            continue
        known.add(new.tracking_number)
        market = policy.market_of(new.product_code)
        deadline = deadline_for(new.paid_at, policy.products[new.product_code], market, new.postal_code)
        customer = _customer(session, new)
        session.add(
            Shipment(
                tracking_number=new.tracking_number,
                order_ref=new.order_ref,
                customer=customer,
                product_code=new.product_code,
                market_code=market.code,
                destination_postal_code=new.postal_code,
                destination_city=new.city,
                paid_at=new.paid_at,
                promised_date=deadline.promised_date,
                deadline_at=deadline.ends_at,
            )
        )
        report.accepted.append(new.tracking_number)
    session.flush()
    return report


def _customer(session: Session, new: NewShipment) -> Customer:
    if new.customer_phone:
        existing = session.scalars(select(Customer).where(Customer.phone == new.customer_phone).limit(1)).first()
        if existing is not None:
            if new.customer_channel:  # the shop tells us the customer's latest choice
                existing.preferred_channel = new.customer_channel
            return existing
    customer = Customer(
        name=new.customer_name,
        phone=new.customer_phone,
        email=new.customer_email,
        locale=new.customer_locale,
        preferred_channel=new.customer_channel,
    )
    session.add(customer)
    return customer
