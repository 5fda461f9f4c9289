"""Worked examples of the delivery promise, computed by the engine itself.

For each product in the policy, a handful of fixed shipments (order time, postal code,
events) go through ``parcels.promise.decide`` and come out as table rows; ``render``
turns them into the Markdown of ``docs/promise-examples.md``. Everything is fixed (no
clock), so the document only changes when the policy or the engine does, and a test
keeps the checked-in copy equal to what the engine says now.

Event times are placed relative to the product's own promised day (e.g. "the day after
it"), so the same scenarios fit every lead time; the higher tiers are taken from the
product's compensation table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parcels.deadlines import deadline_for
from parcels.policy import Grant, LeadTimeUnit, Policy, Product, current_policy
from parcels.promise import PromiseDecision, decide
from parcels.stages import lookup
from parcels.status import Event, ShipmentFacts

COMMAND = "python -m parcels promise-examples"
MADRID = ZoneInfo("Europe/Madrid")
ORDERED_AT = datetime(2026, 11, 3, 10, 15, tzinfo=MADRID)  # a Tuesday, no holiday anywhere
LATE_NIGHT_ORDER = datetime(2026, 11, 4, 0, 20, tzinfo=MADRID)  # still 3 November in the Canaries
BEFORE_HOLIDAY = datetime(2026, 12, 4, 10, 15, tzinfo=MADRID)  # Friday before 7 (Madrid) and 8 December
MADRID_POSTCODE = "28013"
CANARY_POSTCODE = "35002"

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class Step:
    """An event at local time ``at``, ``days`` after the promised day (negative: before it), or after the order day."""

    code: str
    days: int
    at: time
    after_order: bool = False


@dataclass(frozen=True, slots=True)
class Scenario:
    title: str
    ordered_at: datetime
    postal_code: str
    steps: tuple[Step, ...]
    decided_days: int | None = None  # decided at noon this many days after the promised day; None: after the last event


@dataclass(frozen=True, slots=True)
class ExampleRow:
    product: str
    scenario: str
    ordered: str
    events: str
    deadline: str
    outcome: str
    days_late: str
    owed: str
    reasons: str
    decision: PromiseDecision


# --------------------------------------------------------------------------- scenarios

_COLLECTED = Step("PU_PICKUP_SUCCESS", 1, time(9, 0), after_order=True)


def _delivered(days: int, at: time) -> tuple[Step, ...]:
    return (_COLLECTED, Step("GTMS_DELIVERING", days, time(8, 40)), Step("GTMS_SIGNED", days, at))


def _late_title(days: int) -> str:
    return f"delivered {days} day{'s' if days != 1 else ''} late"


def _exclusion(index: int) -> Scenario:
    """Customs waiting for the buyer's documents, or a wrong address, before the deadline (alternating by product)."""
    steps: tuple[Step, ...]
    if index % 2 == 0:
        steps = (_COLLECTED, Step("CC_IM_HOLD", -2, time(10, 0)), Step("GTMS_SIGNED", 5, time(11, 30)))
        return Scenario("held by customs for the buyer's documents, delivered late", ORDERED_AT, MADRID_POSTCODE, steps)
    steps = (
        _COLLECTED,
        Step("GTMS_DO_ARRIVE", -1, time(7, 50)),
        Step("GTMS_ADDRESS_ISSUE", -1, time(10, 20)),
        Step("GTMS_SIGNED", 3, time(12, 0)),
    )
    return Scenario("wrong address reported the day before, delivered late", ORDERED_AT, MADRID_POSTCODE, steps)


def scenarios(product: Product, index: int) -> Iterator[Scenario]:
    """The scenarios of one product; ``index`` is its place in the policy (it picks the exclusion shown)."""
    yield Scenario("delivered well in time", ORDERED_AT, MADRID_POSTCODE, _delivered(-2, time(12, 30)))
    yield Scenario(
        "Canary Islands, ordered late at night; failed attempt on the promised day",
        LATE_NIGHT_ORDER,
        CANARY_POSTCODE,
        (
            _COLLECTED,
            Step("GTMS_DELIVERY_FAILED", 0, time(20, 30)),
            Step("GTMS_SIGNED", 1, time(11, 0)),
        ),
    )
    yield Scenario(_late_title(1), ORDERED_AT, MADRID_POSTCODE, _delivered(1, time(10, 5)))
    for tier in product.compensation.tiers:
        if tier.days_late > 1:
            yield Scenario(
                _late_title(tier.days_late), ORDERED_AT, MADRID_POSTCODE, _delivered(tier.days_late, time(16, 0))
            )
    yield Scenario(
        "still in transit two days after the promised day",
        ORDERED_AT,
        MADRID_POSTCODE,
        (_COLLECTED, Step("LH_DEPART", 3, time(22, 10), after_order=True)),
        decided_days=2,
    )
    yield _exclusion(index)
    if product.lead_time.unit is LeadTimeUnit.BUSINESS_DAYS:
        yield Scenario(
            "ordered Fri 4 Dec, before the 8 Dec holiday; delivered on the promised day",
            BEFORE_HOLIDAY,
            MADRID_POSTCODE,
            _delivered(0, time(17, 45)),
        )


# --------------------------------------------------------------------------- running them


def _moment(step: Step, ordered_on: date, promised: date, zone: ZoneInfo) -> datetime:
    day = (ordered_on if step.after_order else promised) + timedelta(days=step.days)
    return datetime.combine(day, step.at, tzinfo=zone)


def _facts(number: str, product: Product, policy: Policy, scenario: Scenario) -> ShipmentFacts:
    market = policy.markets[product.market]
    deadline = deadline_for(scenario.ordered_at, product, market, scenario.postal_code)
    return ShipmentFacts(
        tracking_number=number,
        product_code=product.code,
        market_code=product.market,
        destination_postal_code=scenario.postal_code,
        destination_city=None,
        paid_at=scenario.ordered_at,
        promised_date=deadline.promised_date,
        deadline_at=deadline.ends_at,
        time_zone=deadline.time_zone,
    )


def _events(number: str, facts: ShipmentFacts, scenario: Scenario) -> list[Event]:
    zone = ZoneInfo(facts.time_zone)
    ordered_on = facts.paid_at.astimezone(zone).date()
    events = []
    for n, step in enumerate(scenario.steps, start=1):
        code = lookup(step.code)
        at = _moment(step, ordered_on, facts.promised_date, zone)
        events.append(Event(f"{number}-{n}", code.code, code.stage, code.kind, at, None, code.cause))
    return events


def _now(facts: ShipmentFacts, events: list[Event], scenario: Scenario) -> datetime:
    """The fixed moment a scenario is decided at: noon, after the promised day or the day after the last event."""
    zone = ZoneInfo(facts.time_zone)
    if scenario.decided_days is not None:
        day = facts.promised_date + timedelta(days=scenario.decided_days)
    else:
        day = max(event.occurred_at for event in events).astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(12, 0), tzinfo=zone)


def example_rows(policy: Policy | None = None) -> list[ExampleRow]:
    """Every product's scenarios, decided by the engine, in policy order."""
    policy = policy or current_policy()
    rows = []
    for index, product in enumerate(policy.products.values()):
        for n, scenario in enumerate(scenarios(product, index), start=1):
            number = f"EXAMPLE-{product.code}-{n}"
            facts = _facts(number, product, policy, scenario)
            events = _events(number, facts, scenario)
            decision = decide(facts, events, policy, _now(facts, events, scenario))
            rows.append(_row(product, scenario, facts, events, decision))
    return rows


# --------------------------------------------------------------------------- formatting


def _day(day: date) -> str:
    """Locale-independent: ``Tue 3 Nov``."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def _local(moment: datetime, zone: ZoneInfo, *, year: bool = False) -> str:
    local = moment.astimezone(zone)
    return f"{_day(local.date())}{f' {local.year}' if year else ''} {local:%H:%M}"


def _deadline(decision: PromiseDecision) -> str:
    text = f"{_day(decision.promised_date)} {decision.promised_date.year} ({decision.time_zone})"
    skipped = decision.basis.holidays_skipped if decision.basis else ()
    if skipped:
        text += "; not counted: " + ", ".join(f"{day.day} {_MONTHS[day.month - 1]}" for day in skipped)
    return text


def _outcome(decision: PromiseDecision) -> str:
    return f"{decision.outcome}, at risk" if decision.at_risk else str(decision.outcome)


def _owed(decision: PromiseDecision) -> str:
    owed = decision.owed
    if owed is None:
        return "—"
    return f"{owed.amount:.2f} {owed.currency} {owed.form} ({owed.grant.replace('_', ' ')})"


def _row(
    product: Product, scenario: Scenario, facts: ShipmentFacts, events: list[Event], decision: PromiseDecision
) -> ExampleRow:
    zone = ZoneInfo(facts.time_zone)
    return ExampleRow(
        product=product.code,
        scenario=scenario.title,
        ordered=_local(facts.paid_at, zone, year=True),
        events="; ".join(f"{event.code} @ {_local(event.occurred_at, zone)}" for event in events),
        deadline=_deadline(decision),
        outcome=_outcome(decision),
        days_late=str(decision.days_late),
        owed=_owed(decision),
        reasons=", ".join(f"`{reason.code}`" for reason in decision.reasons),
        decision=decision,
    )


def _promise(product: Product, policy: Policy) -> str:
    """The product's promise in one paragraph: lead time, tiers, grant and claim window."""
    currency = policy.markets[product.market].currency
    lead = product.lead_time
    compensation = product.compensation
    tiers = "; ".join(
        f"from {tier.days_late} day{'s' if tier.days_late != 1 else ''} late, {tier.amount:.2f} {currency} {tier.form}"
        for tier in compensation.tiers
    )
    grant = "paid automatically" if compensation.grant is Grant.AUTOMATIC else "paid when the shopper applies for it"
    return (
        f"**{product.name.get('en', product.code)}** (market {product.market}): delivered within {lead.days} "
        f"{lead.unit.replace('_', ' ')} of payment, by the end of the promised day in the destination's time zone. "
        f"Compensation ({grant}, claim window {compensation.claim_window_days} days after the promised day): {tiers}."
    )


_HEADER = ("Scenario", "Ordered", "Events", "Deadline", "Outcome", "Days late", "Owed", "Reasons")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(rows: list[ExampleRow]) -> list[str]:
    lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
    for row in rows:
        cells = (row.scenario, row.ordered, row.events, row.deadline, row.outcome, row.days_late, row.owed, row.reasons)
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return lines


def render(policy: Policy | None = None) -> str:
    """The Markdown document: an introduction, then each product's promise and its table."""
    policy = policy or current_policy()
    rows = example_rows(policy)
    lines = [
        "# Delivery promise: worked examples",
        "",
        "These rows are generated by the promise engine itself (`parcels.promise.decide`) from "
        f"`config/policy.yml` by `{COMMAND}`; do not edit them by hand. Times are local to the "
        "destination (the deadline column names its time zone); each example is decided at a fixed moment: "
        "noon of the day after its last event, or, for a parcel still in transit, two days after the promised day.",
        "",
        f"Policy version: `{policy.version}`.",
    ]
    for product in policy.products.values():
        lines += ["", f"## {product.code}", "", _promise(product, policy), ""]
        lines += _table([row for row in rows if row.product == product.code])
    return "\n".join(lines) + "\n"
