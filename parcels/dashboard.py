"""The operations dashboard's figures: how well the promise is kept, where parcels lose time, what the breaks
cost, whether the notifications reach anyone, and how fast a person answers.

Every section is worked out for a period of promised days (or of days on which things were asked for and
sent), in the home market's time zone, and comes back as tables: columns and rows of plain values, which the
API gives as JSON and CSV and the page draws. Money is Decimal, given as text ("3.00") with its currency.

Weeks start on Monday and are named by that Monday. A promise's week is its promised day's; a claim's, a
notification's and a handoff's, the week it was made in.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from parcels.agent_hours import AgentHours
from parcels.attendance import QUARTER_HOUR, ClockStarts
from parcels.claim_records import ClaimStatus
from parcels.conversation_records import ConversationDayRow, conversation_key
from parcels.deadlines import add_business_days, business_days_between
from parcels.detection_records import DetectedShipment
from parcels.errors import Refused
from parcels.metric_records import HandoffClock, PromiseCount, PromiseTotals, ReviewedPromise, UnkeptGroup
from parcels.outbox_records import Status
from parcels.policy import Market, Policy
from parcels.promise import days_late
from parcels.provider_errors import in_words
from parcels.provinces import province_name
from parcels.stages import Stage
from parcels.storage.unit_of_work import UnitOfWork
from parcels.unkept import DAY, claim_window_closed, first_attempt, fixed, open_days_over, owed_for, review

MAX_DAYS = 366
REVIEW_BATCH = 2000
NEAR_DUE_BUSINESS_DAYS = 3  # a request whose answer is due within this many business days is near its date
REPLY_WITHIN = timedelta(days=7)  # a shopper who writes within this long of a notification replied to it
_GRANTED = (str(ClaimStatus.APPROVED), str(ClaimStatus.PAID))
_SENT = (str(Status.SENT), str(Status.DELIVERED), str(Status.READ))
_DELIVERED = (str(Status.DELIVERED), str(Status.READ))

Table = dict[str, Any]  # {"columns": [...], "rows": [[...], ...]}


@dataclass(frozen=True, slots=True)
class Period:
    """Local days ``first`` to ``last``, both included, and optionally one product."""

    first: date
    last: date
    product: str | None
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), tzinfo=self.zone)

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "product": self.product}


def home_market(policy: Policy) -> Market:
    """The market listed first in the policy: the one the agents and the dashboard keep the time of."""
    return next(iter(policy.markets.values()))


def period(
    policy: Policy,
    now: datetime,
    days: str | None = None,
    first: str | None = None,
    last: str | None = None,
    product: str | None = None,
) -> Period:
    """The period a request asks for: ``days`` up to today, or ``first`` to ``last``; the last 30 days by default.
    Refused with the reason when it is not one."""
    zone = ZoneInfo(home_market(policy).time_zone)
    today = now.astimezone(zone).date()
    if product is not None and product not in policy.products:
        raise Refused(f"no product {product[:40]!r}: one of {', '.join(policy.products)}")
    if first is not None or last is not None:
        try:
            start = date.fromisoformat(first or "")
            end = date.fromisoformat(last) if last else today
        except ValueError:
            raise Refused("from and to are dates like 2026-11-30") from None
        if end < start or (end - start).days >= MAX_DAYS:
            raise Refused(f"from must come before to, at most {MAX_DAYS} days apart")
        return Period(start, end, product, zone)
    try:
        count = int(days) if days is not None else 30
    except ValueError:
        raise Refused(f"days is a whole number from 1 to {MAX_DAYS}") from None
    if not 1 <= count <= MAX_DAYS:
        raise Refused(f"days is a whole number from 1 to {MAX_DAYS}")
    return Period(today - timedelta(days=count - 1), today, product, zone)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value at least ``share`` of the values are not above."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def money(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    return {"columns": list(columns), "rows": [list(row) for row in rows]}


# ---------------------------------------------------------------------------------------------- the promises


def refresh_reviews(uow: UnitOfWork, span: Period, now: datetime, policy: Policy) -> int:
    """Review the period's unkept promises that have no current review (their events changed, or the policy did,
    or their deadline passed since the last count); how many."""
    reviewed = 0
    while True:
        with uow.begin() as repos:
            stale = repos.metrics.to_review(span.first, span.last, now, policy.version, REVIEW_BATCH)
            if not stale:
                return reviewed
            shipments = repos.detection.shipments([shipment_id for shipment_id, _ in stale])
            repos.metrics.save_reviews(
                [
                    _reviewed(shipment_id, shipments[shipment_id], progress, policy)
                    for shipment_id, progress in stale
                    if shipment_id in shipments
                ]
            )
            reviewed += len(stale)
        if len(stale) < REVIEW_BATCH:
            return reviewed


def _reviewed(
    shipment_id: int, shipment: DetectedShipment, progress: datetime | None, policy: Policy
) -> ReviewedPromise:
    facts = shipment.facts
    market = policy.markets[facts.market_code]
    province = market.province(facts.destination_postal_code)
    done = review(shipment_id, facts, shipment.events, progress, policy)
    kept = fixed(
        done,
        policy.products[facts.product_code],
        facts.promised_date,
        market.zone_for(province),
        first_attempt(shipment.events),
    )
    return ReviewedPromise(
        done, kept, facts.promised_date, facts.product_code, facts.market_code, province, facts.deadline_at
    )


def _counted(
    uow: UnitOfWork, span: Period, now: datetime, policy: Policy
) -> tuple[list[PromiseCount], list[UnkeptGroup]]:
    """The period's promises counted, and its unkept ones grouped, once every one of these has a current review."""
    with uow.begin() as repos:
        counts = repos.metrics.promise_counts(span.first, span.last, now, span.product)
        groups = repos.metrics.unkept_groups(span.first, span.last, now, span.product, policy.version)
    return counts, _reviewed_groups(uow, span, now, policy, groups, sum(count.unkept for count in counts))


def _grouped(uow: UnitOfWork, span: Period, now: datetime, policy: Policy) -> tuple[PromiseTotals, list[UnkeptGroup]]:
    """The period's promises totalled, and its unkept ones grouped, once every one of these has a current review."""
    with uow.begin() as repos:
        totals = repos.metrics.promise_totals(span.first, span.last, now, span.product)
        groups = repos.metrics.unkept_groups(span.first, span.last, now, span.product, policy.version)
    return totals, _reviewed_groups(uow, span, now, policy, groups, totals.unkept)


def _reviewed_groups(
    uow: UnitOfWork, span: Period, now: datetime, policy: Policy, groups: list[UnkeptGroup], unkept: int
) -> list[UnkeptGroup]:
    """``groups`` if they count all ``unkept`` promises of the period; else the groups once those are reviewed."""
    if sum(group.count for group in groups) == unkept:
        return groups
    refresh_reviews(uow, span, now, policy)
    with uow.begin() as repos:
        return repos.metrics.unkept_groups(span.first, span.last, now, span.product, policy.version)


def _owed(
    policy: Policy, product_code: str, market_code: str, province: str, promised: date, excluded: bool, now: datetime
) -> Decimal:
    """What one unattempted unkept promise is owed at ``now``."""
    late = days_late(promised, now, policy.markets[market_code].zone_for(province))
    return owed_for(policy.products[product_code], excluded, late)


def _group_owed(group: UnkeptGroup, now: datetime, policy: Policy) -> Decimal:
    if group.attempted:
        return group.owed
    one = _owed(policy, group.product_code, group.market_code, group.province, group.promised_date, group.excluded, now)
    return one * group.count


def _window_closed(
    policy: Policy, product_code: str, market_code: str, province: str, promised: date, now: datetime
) -> bool:
    zone = policy.markets[market_code].zone_for(province)
    return claim_window_closed(policy.products[product_code], promised, zone, now)


def promises(uow: UnitOfWork, span: Period, now: datetime, policy: Policy) -> dict[str, Any]:
    """Kept, broken, excluded and open promises per week and product, and per destination province."""
    return _promises(span, *_counted(uow, span, now, policy))


def _promises(span: Period, counts: list[PromiseCount], groups: list[UnkeptGroup]) -> dict[str, Any]:
    weekly: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # kept, broken, excluded, open
    by_province: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for count in counts:
        for tally in (weekly[(week_of(count.promised_date), count.product_code)], by_province[count.province]):
            tally[0] += count.kept
            tally[3] += count.open
    for group in groups:
        column = 2 if group.excluded else 1
        weekly[(week_of(group.promised_date), group.product_code)][column] += group.count
        by_province[group.province][column] += group.count
    kept, broken, excluded, still_open = (sum(t[i] for t in weekly.values()) for i in range(4))
    return {
        "period": span.as_dict(),
        "totals": {
            "kept": kept,
            "broken": broken,
            "excluded": excluded,
            "open": still_open,
            "on_time_rate": rate(kept, kept + broken),
        },
        "tables": {
            "weeks": table(
                ("week", "product", "kept", "broken", "excluded", "open", "on_time_rate"),
                (
                    (week.isoformat(), product, *tally, rate(tally[0], tally[0] + tally[1]))
                    for (week, product), tally in sorted(weekly.items())
                ),
            ),
            "provinces": table(
                ("province", "name", "kept", "broken", "excluded", "open", "on_time_rate"),
                (
                    (code, province_name(code), *tally, rate(tally[0], tally[0] + tally[1]))
                    for code, tally in sorted(by_province.items())
                ),
            ),
        },
    }


def _typical_days(policy: Policy) -> dict[tuple[str, int], float]:
    return {
        (code, stage): days for code, product in policy.products.items() for stage, days in product.stage_days.items()
    }


def stages(uow: UnitOfWork, span: Period, now: datetime, policy: Policy) -> dict[str, Any]:
    """For the broken promises: which stages overran their typical days (``stage_days``), by how much, per week."""
    typical = _typical_days(policy)
    with uow.begin() as repos:
        totals = repos.metrics.promise_totals(span.first, span.last, now, span.product)
        found = repos.metrics.stage_figures(span.first, span.last, now, span.product, policy.version, typical)
    if found.reviewed != totals.unkept:
        refresh_reviews(uow, span, now, policy)
        with uow.begin() as repos:
            found = repos.metrics.stage_figures(span.first, span.last, now, span.product, policy.version, typical)
    left, still = found.left, found.still
    weekly: dict[tuple[date, int], list[float]] = defaultdict(lambda: [0, 0.0])  # promises, days over
    for overrun in left:
        tally = weekly[(week_of(overrun.promised_date), overrun.stage)]
        tally[0] += overrun.promises
        tally[1] += overrun.days_over
    at = now.timestamp()
    for open_ in still:
        tally = weekly[(week_of(open_.promised_date), open_.stage)]
        tally[0] += open_.promises
        tally[1] += (open_.promises * at - open_.open_from_sum) / DAY - open_.promises * typical[
            (open_.product_code, open_.stage)
        ]
    stage_names = {int(stage): stage.name.lower() for stage in Stage}
    return {
        "period": span.as_dict(),
        "typical_days": {code: product.stage_days for code, product in policy.products.items()},
        "tables": {
            "weeks": table(
                ("week", "stage", "stage_name", "promises", "days_over", "mean_days_over"),
                (
                    (week.isoformat(), stage, stage_names[stage], int(n), round(days, 1), round(days / n, 1))
                    for (week, stage), (n, days) in sorted(weekly.items())
                ),
            )
        },
    }


def stage_parcels(
    uow: UnitOfWork, span: Period, now: datetime, policy: Policy, week: date, stage: int, limit: int = 500
) -> dict[str, Any]:
    """The broken promises of one week whose ``stage`` overran: the parcels behind one bar, longest over first."""
    if week_of(week) != week:
        raise Refused("week is the Monday that starts it, like 2026-11-30")
    if stage not in {int(s) for s in Stage}:
        raise Refused("stage is a number from 1 to 7")
    behind: list[tuple[float, str, str, date, int, Decimal, str]] = []
    days = Period(max(week, span.first), min(week + timedelta(days=6), span.last), span.product, span.zone)
    if days.first <= days.last:
        _grouped(uow, days, now, policy)  # their reviews current
        with uow.begin() as repos:
            rows = repos.metrics.stage_parcels(days.first, days.last, now, days.product, policy.version, stage)
        for row in rows:
            product = policy.products[row.product_code]
            if row.days_over is not None:
                over = row.days_over
            elif row.open_from is not None:
                over = open_days_over(row.open_from, now, product.stage_days[stage])
            else:
                continue
            if over <= 0:
                continue
            market = policy.markets[row.market_code]
            late = row.days_late
            if late is None:
                late = days_late(row.promised_date, now, market.zone_for(row.province))
            owed = row.owed if row.owed is not None else owed_for(product, False, late)
            behind.append((over, row.tracking_number, row.product_code, row.promised_date, late, owed, market.currency))
    behind.sort(key=lambda item: (-item[0], item[1]))
    return {
        "period": span.as_dict(),
        "week": week.isoformat(),
        "stage": stage,
        "total": len(behind),
        "tables": {
            "parcels": table(
                ("tracking_number", "product", "promised_date", "days_late", "days_over", "owed", "currency"),
                (
                    (number, code, promised.isoformat(), late, round(over, 1), money(owed), currency)
                    for over, number, code, promised, late, owed, currency in behind[:limit]
                ),
            )
        },
    }


# ---------------------------------------------------------------------------------------------- the money


def compensation(uow: UnitOfWork, span: Period, now: datetime, policy: Policy, hours: AgentHours) -> dict[str, Any]:
    """Per week and product: owed, claimed, granted, paid and expired unclaimed; claims' time to a decision."""
    _, groups = _grouped(uow, span, now, policy)
    return _compensation(uow, span, now, policy, hours, groups)


def _compensation(
    uow: UnitOfWork, span: Period, now: datetime, policy: Policy, hours: AgentHours, groups: list[UnkeptGroup]
) -> dict[str, Any]:
    zero = Decimal("0.00")
    weekly: dict[tuple[date, str, str], list[Decimal]] = defaultdict(lambda: [zero] * 5)
    for group in groups:
        owed = _group_owed(group, now, policy)
        currency = policy.markets[group.market_code].currency
        tally = weekly[(week_of(group.promised_date), group.product_code, currency)]
        tally[0] += owed
        where = (group.product_code, group.market_code, group.province, group.promised_date)
        if _window_closed(policy, *where, now):
            tally[4] += owed  # less what the claimed ones are owed, below
    with uow.begin() as repos:
        claimed = repos.metrics.claimed(span.first, span.last, now, span.product, policy.version)
        timings = repos.metrics.claim_timings(span.start, span.end, span.product)
    for made in claimed:
        currency = policy.markets[made.market_code].currency
        tally = weekly[(week_of(made.promised_date), made.product_code, currency)]
        tally[1] += made.claim_amount
        if made.claim_status in _GRANTED:
            tally[2] += made.claim_amount
        if made.claim_status == str(ClaimStatus.PAID):
            tally[3] += made.claim_amount
        where = (made.product_code, made.market_code, made.province, made.promised_date)
        if _window_closed(policy, *where, now):
            tally[4] -= made.owed if made.owed is not None else _owed(policy, *where, made.excluded, now)
    totals: dict[str, dict[str, str]] = {}
    for (_, _, currency), tally in weekly.items():
        current = totals.setdefault(currency, dict.fromkeys(("owed", "claimed", "granted", "paid", "expired"), "0.00"))
        for name, amount in zip(("owed", "claimed", "granted", "paid", "expired"), tally, strict=True):
            current[name] = money(Decimal(current[name]) + amount)
    limit = hours.answer_within_business_days
    decided_in: list[float] = []
    within = late = pending = pending_overdue = 0
    for claim in timings:
        market = policy.markets[claim.market_code]
        zone, region = market.zone_for(claim.postal_code), market.region_for(claim.postal_code)
        asked = claim.requested_at.astimezone(zone).date()
        if claim.decided_at is None:
            pending += 1
            due = add_business_days(asked, limit, market.holiday_country, region)
            pending_overdue += now.astimezone(zone).date() > due
            continue
        taken = business_days_between(asked, claim.decided_at.astimezone(zone).date(), market.holiday_country, region)
        decided_in.append(taken)
        within += taken <= limit
        late += taken > limit
    return {
        "period": span.as_dict(),
        "totals": totals,
        "claims": {
            "made": len(timings),
            "decided": len(decided_in),
            "decided_within_limit": within,
            "decided_late": late,
            "pending": pending,
            "pending_past_limit": pending_overdue,
            "limit_business_days": limit,
            "p50_business_days": percentile(decided_in, 0.5),
            "p95_business_days": percentile(decided_in, 0.95),
        },
        "tables": {
            "weeks": table(
                ("week", "product", "currency", "owed", "claimed", "granted", "paid", "expired_unclaimed"),
                (
                    (week.isoformat(), product, currency, *(money(amount) for amount in tally))
                    for (week, product, currency), tally in sorted(weekly.items())
                ),
            )
        },
    }


# ---------------------------------------------------------------------------------------------- the messages


def messages(uow: UnitOfWork, span: Period) -> dict[str, Any]:
    """The funnel detected → queued → sent → delivered → read → replied per message, channel and language;
    opt-outs; why the failed ones failed, in words. Replied: the shopper wrote to us within ``REPLY_WITHIN`` of a
    WhatsApp or SMS message being sent (the web inbox is read, not answered)."""
    with uow.begin() as repos:
        counts = repos.metrics.notification_counts(span.start, span.end)
        reasons = repos.metrics.failure_reasons(span.start, span.end, 50)
        opted_out = repos.metrics.opt_outs(span.start, span.end)
        notified = repos.conversation_days.notified_days(span.start, span.end, span.first, span.last + REPLY_WITHIN)
    funnel: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0] * 8)
    for count in counts:
        tally = funnel[(count.kind, count.channel, count.locale)]
        tally[0] += count.count
        tally[1] += count.count * (count.status != str(Status.SKIPPED))
        tally[2] += count.count * (count.status in _SENT)
        tally[3] += count.count * (count.status in _DELIVERED)
        tally[4] += count.count * (count.status == str(Status.READ))
        tally[6] += count.count * (count.status == str(Status.FAILED))
        tally[7] += count.count * (count.status == str(Status.SKIPPED))
    replied: dict[int, tuple[str, str, str]] = {}
    for day in notified:
        if day.last_at >= day.sent_from and day.first_at <= day.sent_from + REPLY_WITHIN:
            replied[day.notification_id] = (day.kind, day.channel, day.locale)
    for message in replied.values():
        funnel[message][5] += 1
    words: dict[str, int] = defaultdict(int)
    for reason, n in reasons:
        words[in_words(reason)] += n
    totals = [sum(t[i] for t in funnel.values()) for i in range(8)]
    names = ("detected", "queued", "sent", "delivered", "read", "replied", "failed", "skipped")
    return {
        "period": span.as_dict(),
        "totals": dict(zip(names, totals, strict=True)) | {"opted_out": sum(opted_out.values())},
        "tables": {
            "funnel": table(
                ("message", "channel", "language", *names),
                ((kind, channel, locale, *tally) for (kind, channel, locale), tally in sorted(funnel.items())),
            ),
            "failures": table(("reason", "messages"), sorted(words.items(), key=lambda item: (-item[1], item[0]))),
            "opt_outs": table(("channel", "customers"), sorted(opted_out.items())),
        },
    }


# ---------------------------------------------------------------------------------------------- the people


def conversations(uow: UnitOfWork, span: Period, now: datetime, hours: AgentHours, policy: Policy) -> dict[str, Any]:
    """Handoffs by channel, language and reason; the time from asking for a person to an agent's first message,
    p50 and p95 per channel, inside and outside agents' hours; the share attended within the time allowed per
    channel and week; the requests whose answer is past or near its date."""
    market = home_market(policy)
    today = now.astimezone(span.zone).date()
    near = add_business_days(today, NEAR_DUE_BUSINESS_DAYS, market.holiday_country, None)
    with uow.begin() as repos:
        clocks = repos.metrics.handoff_clocks(span.start, span.end)
        reasons = repos.metrics.handoff_reasons(span.start, span.end)
        due = repos.metrics.requests_due(near, 200)
        talked = repos.conversation_days.days(span.first, span.last)
        senders = repos.conversation_days.handed_over(span.start, span.end) if talked else []
    handed = {conversation_key(sender) for sender in senders}
    settled = _settled(talked, handed)
    allowed = hours.attend_within.total_seconds()
    waits, weekly = _attendance(clocks, span, now, hours)
    every_wait = [seconds for values in waits.values() for seconds in values]
    counted, attended = sum(t[0] for t in weekly.values()), sum(t[1] for t in weekly.values())
    conversations_, by_person = sum(t[0] for t in settled.values()), sum(t[1] for t in settled.values())
    return {
        "period": span.as_dict(),
        "totals": {
            "conversations": conversations_,
            "settled_without_a_person_share": rate(conversations_ - by_person, conversations_),
            "handoffs": len(clocks),
            "answered": len(every_wait),
            "attended_within_limit": attended,
            "attended_share": rate(attended, counted),
            "limit_seconds": int(allowed),
            "p50_seconds": percentile(every_wait, 0.5),
            "p95_seconds": percentile(every_wait, 0.95),
        },
        "tables": {
            "settled": table(
                ("channel", "language", "conversations", "with_a_person", "without_a_person", "settled_share"),
                (
                    (channel, language, n, person, n - person, rate(n - person, n))
                    for (channel, language), (n, person) in sorted(settled.items())
                ),
            ),
            "reasons": table(
                ("channel", "language", "reason", "handoffs"),
                sorted(reasons),
            ),
            "time_to_person": table(
                ("channel", "in_agents_hours", "answered", "p50_seconds", "p95_seconds", "limit_seconds"),
                (
                    (channel, in_hours, len(values), percentile(values, 0.5), percentile(values, 0.95), int(allowed))
                    for (channel, in_hours), values in sorted(waits.items())
                ),
            ),
            "attended_by_week": table(
                ("week", "channel", "requests", "within_limit", "share"),
                (
                    (week.isoformat(), channel, n, within, rate(within, n))
                    for (week, channel), (n, within) in sorted(weekly.items())
                ),
            ),
            "answers_due": table(
                ("reference", "channel", "status", "requested_at", "answer_due_on", "past_due"),
                (
                    (
                        h.reference,
                        h.channel,
                        h.status,
                        h.requested_at.isoformat(),
                        h.answer_due_on.isoformat(),
                        h.answer_due_on < today,
                    )
                    for h in due
                ),
            ),
        },
    }


def _attendance(
    clocks: Sequence[HandoffClock], span: Period, now: datetime, hours: AgentHours
) -> tuple[dict[tuple[str, bool], list[float]], dict[tuple[date, str], list[int]]]:
    """The seconds each answered request waited (to the millisecond), per channel and whether it was asked in
    agents' hours; and per week and channel, the requests whose time is up and those of them attended within it."""
    allowed, at = hours.attend_within.total_seconds(), now.timestamp()
    waits: dict[tuple[str, bool], list[float]] = defaultdict(list)
    weekly: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])  # counted, within
    clock_start = ClockStarts(hours)
    weeks: dict[int, date] = {}  # per quarter hour of UTC, as local dates change only on quarter hours
    for handoff in clocks:
        asked, replied = handoff.requested_at, handoff.first_reply_at
        starts, in_hours = clock_start(asked)
        if replied is None:
            if at - starts <= allowed:
                continue  # still inside its time: neither within nor past it yet
            within = False
        else:
            seconds = round(max(0.0, replied - starts), 3)
            waits[(handoff.channel, in_hours)].append(seconds)
            within = seconds <= allowed
        quarter = int(asked // QUARTER_HOUR)
        if quarter not in weeks:
            weeks[quarter] = week_of(datetime.fromtimestamp(quarter * QUARTER_HOUR, span.zone).date())
        tally = weekly[(weeks[quarter], handoff.channel)]
        tally[0] += 1
        tally[1] += within
    return waits, weekly


def _settled(talked: Sequence[ConversationDayRow], handed: set[str]) -> dict[tuple[str, str], list[int]]:
    """Per channel and language (of its first day in the period): the conversations, and those handed to a person."""
    first_day: dict[str, ConversationDayRow] = {}
    for day in talked:
        if day.conversation_key not in first_day or day.day < first_day[day.conversation_key].day:
            first_day[day.conversation_key] = day
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for key, day in first_day.items():
        counted = tally[(day.channel, day.language or "")]
        counted[0] += 1
        counted[1] += key in handed
    return tally


def summary(uow: UnitOfWork, span: Period, now: datetime, policy: Policy, hours: AgentHours) -> dict[str, Any]:
    """The headline figures: on-time rate, broken promises, compensation owed and paid, notifications sent and
    read, and the 95th percentile of the time to a person, in seconds. The same figures as the sections give,
    read without the breakdowns the headline does not show."""
    totals, groups = _grouped(uow, span, now, policy)
    with uow.begin() as repos:
        claimed = repos.metrics.claimed(span.first, span.last, now, span.product, policy.version)
        notified = repos.metrics.notification_counts(span.start, span.end)
        clocks = repos.metrics.handoff_clocks(span.start, span.end)
    kept = totals.kept
    broken = sum(group.count for group in groups if not group.excluded)
    zero = Decimal("0.00")
    owed: dict[str, list[Decimal]] = {}
    for group in groups:
        owed.setdefault(policy.markets[group.market_code].currency, [zero, zero])[0] += _group_owed(group, now, policy)
    for made in claimed:
        if made.claim_status == str(ClaimStatus.PAID):
            owed.setdefault(policy.markets[made.market_code].currency, [zero, zero])[1] += made.claim_amount
    waits, weekly = _attendance(clocks, span, now, hours)
    every_wait = [seconds for values in waits.values() for seconds in values]
    return {
        "period": span.as_dict(),
        "on_time_rate": rate(kept, kept + broken),
        "broken": broken,
        "compensation": {currency: {"owed": money(o), "paid": money(p)} for currency, (o, p) in owed.items()},
        "notifications": {
            "sent": sum(n.count for n in notified if n.status in _SENT),
            "read": sum(n.count for n in notified if n.status == str(Status.READ)),
        },
        "time_to_person_p95_seconds": percentile(every_wait, 0.95),
        "attended_within_limit_share": rate(sum(t[1] for t in weekly.values()), sum(t[0] for t in weekly.values())),
    }
