"""The demo rows: blocks of customers, shipments and events, a pure function of ``(seed, now, block)``.

Data is built in fixed blocks of ``BLOCK`` shipments, each with its own ``random.Random`` seeded from
``(seed, block)``, so a run of N shipments is a prefix of a run of M > N shipments with the same seed
and ``now``. Rows are SQLite-ready tuples (ints and text); ``writers`` turns them into COPY text for
PostgreSQL.

Numbers: bulk LP numbers are ``LP1`` + 3 digits of the seed + 10 digits of the index, bulk S10 numbers
``U<letter><digit>...CN`` with letter and digit from the seed (``prefixes``).
"""

from __future__ import annotations

import math
import random
import unicodedata
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from parcels.deadlines import deadline_for
from parcels.policy import LeadTimeUnit, Market, Policy, Product
from parcels.tracking_numbers import make_s10
from tools.demo.errors import DemoError
from tools.demo.names import EMAIL_DOMAINS, FIRST_NAMES_EN, FIRST_NAMES_ES, SURNAMES_EN, SURNAMES_ES
from tools.demo.paths import (
    ATTEMPT_KINDS,
    AWAITING,
    CAINIAO,
    DAY,
    DELIVERED_LATE,
    DELIVERED_TAILS,
    FAILED,
    HELD,
    HOLDS,
    HOUR,
    HYBRID,
    LATE,
    ON_TIME,
    ON_TRACK,
    OUTCOME_WEIGHTS,
    PICKUP,
    PICKUP_TAILS,
    RETURNED,
    TAILS,
    TRUNK_MEANS,
    TRUNKS,
    UPU,
    Step,
    hold_step,
    pick,
    pick_hold,
)
from tools.demo.places import HONG_KONG, HUBS, ORIGINS, PROVINCES

BLOCK = 10_000  # shipments per random stream: part of the determinism contract, do not change lightly
CUSTOMERS_PER_SHIPMENT = 0.8  # a fifth of the shipments go to a returning customer
MARKET = "ES"

# Products and how often they are bought; a product of the market not listed here gets weight 5.
PRODUCT_WEIGHTS = {"CHOICE_9": 70, "STANDARD": 22, "PREMIUM": 8}


@dataclass(frozen=True, slots=True)
class _Tables:
    """Everything a block needs that does not depend on the block: built once per run."""

    now_s: int
    products: tuple[tuple[str, str, int, float, Product, Market], ...]  # code, market, weight, lead in days...
    product_cum: tuple[int, ...]
    places: tuple[tuple[str, str, int, int], ...]  # province, city, first postal code, how many codes
    place_cum: tuple[float, ...]
    day0: int
    day_text: tuple[str, ...]
    time_text: tuple[str, ...]
    hour0: int
    offsets: tuple[tuple[int, ...], ...]  # UTC offset in seconds per hour, per zone
    zone_of_province: dict[str, int]
    zones: tuple[ZoneInfo, ...]


def _cumulative(weights: list[float]) -> tuple[float, ...]:
    return tuple(accumulate(weights))


def build_tables(policy: Policy, now: datetime) -> _Tables:
    now_s = math.floor(now.timestamp())
    products = []
    for code, product in policy.products.items():
        if product.market != MARKET:
            continue
        weight = PRODUCT_WEIGHTS.get(code, 5)
        lead = product.lead_time
        calendar_days = lead.days if lead.unit is LeadTimeUnit.CALENDAR_DAYS else lead.days * 7 / 5
        products.append((code, product.market, weight, calendar_days, product, policy.markets[product.market]))
    if not products:
        raise DemoError(f"the policy has no product for market {MARKET}")
    market = products[0][5]
    missing = [p for p, _, _ in PROVINCES if market.region_by_province and p not in market.region_by_province]
    if missing:
        raise DemoError(f"the policy's market {MARKET} does not know provinces {', '.join(missing)}")

    places, weights = [], []
    for province, population, cities in PROVINCES:
        city_total = sum(c[3] for c in cities)
        for city, first, n, city_population in cities:
            places.append((province, city, first, n))
            weights.append(population * city_population / city_total)

    zone_names = sorted({market.zone_for(p + "000").key for p, _, _ in PROVINCES})
    zones = tuple(ZoneInfo(z) for z in zone_names)
    zone_of_province = {p: zone_names.index(market.zone_for(p + "000").key) for p, _, _ in PROVINCES}

    # Text of every day and every second of a day, so that a timestamp is two look-ups.
    day0 = now_s // DAY - 3 * 366
    days = now_s // DAY + 60 - day0  # deadlines fall up to a few weeks after now
    epoch = date(1970, 1, 1)
    day_text = tuple((epoch + timedelta(days=day0 + i)).isoformat() for i in range(days))
    time_text = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(DAY))
    hour0 = day0 * 24
    hours = days * 24
    offsets = tuple(
        tuple(
            int(datetime.fromtimestamp((hour0 + h) * HOUR, UTC).astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]
            for h in range(hours)
        )
        for zone in zones
    )
    return _Tables(
        now_s=now_s,
        products=tuple(products),
        product_cum=tuple(accumulate(p[2] for p in products)),
        places=tuple(places),
        place_cum=_cumulative(weights),
        day0=day0,
        day_text=day_text,
        time_text=time_text,
        hour0=hour0,
        offsets=offsets,
        zone_of_province=zone_of_province,
        zones=zones,
    )


# Rows as SQLite takes them, in the order of _CUSTOMER_COLUMNS, _SHIPMENT_COLUMNS (less the province, which the
# writers add) and _EVENT_COLUMNS.
_CustomerRow = tuple[int, str, str, str | None, str, str]
_ShipmentRow = tuple[
    int, str, str, int, str, str, str, str, str, str, str, str, int | None, str | None, str | None, str | None, str
]
_EventRow = tuple[str, int, str, int, str, str, str, str]


@dataclass(slots=True)
class Block:
    customers: list[_CustomerRow]
    shipments: list[_ShipmentRow]
    events: list[_EventRow]


class RowGenerator:
    """Builds blocks of rows (SQLite-ready tuples: ints and text) for one (seed, now)."""

    def __init__(self, seed: int, now: datetime, policy: Policy, ids: tuple[int, int]) -> None:
        self.seed = seed
        self.t = build_tables(policy, now)
        self.fmt = self._formatter(self.t)
        self.customer_base, self.shipment_base = ids
        self.lp_prefix, s10_range = prefixes(seed)
        self.s10_prefix, self.s10_serial_base = s10_range[:2], int(s10_range[2]) * 10_000_000
        self._deadlines: dict[tuple[int, int, int], tuple[int, str, str]] = {}
        self._ascii: dict[str, str] = {}
        self.outcome_cum = tuple(accumulate(w for _, w in OUTCOME_WEIGHTS))
        self.outcomes = tuple(o for o, _ in OUTCOME_WEIGHTS)

    # -- helpers

    @staticmethod
    def _formatter(t: _Tables) -> Callable[[int], str]:
        """SQLAlchemy's SQLite text for a naive UTC datetime, from epoch seconds."""
        day_text = tuple(d + " " for d in t.day_text)
        time_text, day0 = t.time_text, t.day0

        def fmt(ts: int) -> str:
            day, second = divmod(ts, DAY)
            return day_text[day - day0] + time_text[second]

        return fmt

    def deadline(self, paid_s: int, product_i: int, place_i: int) -> tuple[int, str, str]:
        """(deadline epoch seconds, promised date text, deadline text), cached per product, local day, province."""
        t = self.t
        province = t.places[place_i][0]
        zone_i = t.zone_of_province[province]
        local_day = (paid_s + t.offsets[zone_i][paid_s // HOUR - t.hour0]) // DAY
        key = (product_i, local_day, int(province))
        found = self._deadlines.get(key)
        if found is None:
            product, market = t.products[product_i][4:]
            local_noon = datetime.combine(
                date(1970, 1, 1) + timedelta(days=local_day), time(12), tzinfo=t.zones[zone_i]
            )
            deadline = deadline_for(local_noon, product, market, province + "001")
            ends_s = int(deadline.ends_at.timestamp())
            found = (ends_s, deadline.promised_date.isoformat(), self.fmt(ends_s))
            self._deadlines[key] = found
        return found

    def ascii(self, name: str) -> str:
        folded = self._ascii.get(name)
        if folded is None:
            folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
            self._ascii[name] = folded
        return folded

    # -- one block

    def block(self, block_no: int, count: int) -> Block:
        """Rows for shipments ``block_no * BLOCK`` .. ``+ n`` (n = BLOCK, or less for the last block)."""
        t = self.t
        first = block_no * BLOCK
        n = min(BLOCK, count - first)
        rng = random.Random(f"parcels-demo/{self.seed}/{block_no}")
        rnd = rng.random
        now_s = t.now_s
        fmt = self.fmt

        # Customers: a fixed number per block, so that ids do not depend on other blocks.
        n_customers = max(1, math.ceil(n * CUSTOMERS_PER_SHIPMENT))
        customer_first = self.customer_base + 1 + block_no * math.ceil(BLOCK * CUSTOMERS_PER_SHIPMENT)
        customers: list[_CustomerRow] = []
        for c in range(n_customers):
            k = customer_first + c
            if rnd() < 0.08:
                locale, given, surname = "en", rng.choice(FIRST_NAMES_EN), rng.choice(SURNAMES_EN)
                name = f"{given} {surname}"
            else:
                locale, given, surname = "es", rng.choice(FIRST_NAMES_ES), rng.choice(SURNAMES_ES)
                name = f"{given} {surname} {rng.choice(SURNAMES_ES)}"
            # Distinct within a seed: a permutation of 99,000,000 numbers (+3460000xxxx is left to the showcase).
            phone = f"+346{1_000_000 + (k * 48_271 + self.seed * 7_919) % 99_000_000:08d}"
            email = None
            if rnd() < 0.6:
                email = f"{self.ascii(given)}.{self.ascii(surname)}{int(rnd() * 100)}@{EMAIL_DOMAINS[int(rnd() * 4)]}"
            created = fmt(now_s - 61 * DAY - int(rnd() * 700 * DAY))
            customers.append((k, name, phone, email, locale, created))
        owners = list(range(n_customers)) + [int(rnd() * n_customers) for _ in range(n - n_customers)]
        rng.shuffle(owners)

        shipments: list[_ShipmentRow] = []
        events: list[_EventRow] = []
        for j in range(n):
            self._shipment(rng, first + j, customer_first + owners[j], shipments, events)
        return Block(customers, shipments, events)

    def _shipment(
        self, rng: random.Random, index: int, customer_id: int, shipments: list[_ShipmentRow], events: list[_EventRow]
    ) -> None:
        t = self.t
        rnd = rng.random
        now_s = t.now_s
        fmt = self.fmt

        if rnd() < 0.2:
            number = make_s10(self.s10_prefix, self.s10_serial_base + index, "CN")
            system = UPU if rnd() < 0.7 else HYBRID
        else:
            number = f"{self.lp_prefix}{index:010d}"
            system = CAINIAO if rnd() < 0.75 else HYBRID
        product_i = bisect(t.product_cum, rnd() * t.product_cum[-1])
        product_code, market_code, _, lead_days, _, _ = t.products[product_i]
        place_i = bisect(t.place_cum, rnd() * t.place_cum[-1])
        _, city, postal_first, postal_n = t.places[place_i]
        postal_code = f"{postal_first + int(rnd() * postal_n):05d}"
        origin = ORIGINS[0] if rnd() < 0.55 else ORIGINS[1]
        hub, sorting = HUBS[0] if rnd() < 0.65 else HUBS[1]
        # Postal items leave through the origin's office of exchange; the others often through Hong Kong.
        via_hong_kong = system != UPU and rnd() < (0.5 if origin == ORIGINS[0] else 0.25)
        export = HONG_KONG if via_hong_kong else origin
        places = (origin, export, hub, sorting, f"{city}, ES", HONG_KONG)
        outcome = self.outcomes[bisect(self.outcome_cum, rnd() * self.outcome_cum[-1])]
        trunks = TRUNKS[system]
        tails = TAILS[system]
        typical_s = lead_days * 0.65 * DAY  # a typical time from payment to the first delivery attempt

        for _attempt in range(8):
            trunk = trunks[0] if len(trunks) == 1 or rnd() < 0.7 else trunks[1]
            path = [s for s in trunk if s[6] >= 1.0 or rnd() < s[6]]
            s_nat = typical_s / TRUNK_MEANS[id(trunk)] * (0.75 + 0.55 * rnd())
            times = self._times(rng, outcome, path, system, tails, s_nat, product_i, place_i, lead_days)
            if times is not None:
                break
        else:  # no fit found (very rare): the shipment is just paid and awaits collection
            outcome, path = AWAITING, []
            times = (now_s - 600 - int(rnd() * 20 * HOUR), [])
        paid_s, stamps = times
        _, promised_text, dl_text = self.deadline(paid_s, product_i, place_i)

        shipment_id = self.shipment_base + 1 + index
        first_attempt = delivered = None
        prefix = f"demo{self.seed}-{index:07d}-"
        previous = paid_s
        for n, (step, ts) in enumerate(zip(path, stamps, strict=True), start=1):
            if ts <= previous:
                ts = previous + 60
            previous = ts
            kind = step[2]
            if first_attempt is None and kind in ATTEMPT_KINDS:
                first_attempt = ts
            if delivered is None and kind == "delivered":
                delivered = ts
            received = ts + 60 + int(rnd() * 1800)
            events.append(
                (
                    f"{prefix}{n:02d}",
                    shipment_id,
                    step[0],
                    step[1],
                    kind,
                    fmt(ts),
                    places[step[3]],
                    fmt(received if received < now_s else now_s),
                )
            )
        created = paid_s + 60 + int(rnd() * 1200)
        last = path[-1] if path else None
        shipments.append(
            (
                shipment_id,
                number,
                f"8{int(rnd() * 1e15):015d}",
                customer_id,
                product_code,
                market_code,
                "CN",
                postal_code,
                city,
                fmt(paid_s),
                promised_text,
                dl_text,
                last[1] if last else None,
                fmt(previous) if last else None,
                fmt(first_attempt) if first_attempt is not None else None,
                fmt(delivered) if delivered is not None else None,
                fmt(created if created < now_s else now_s),
            )
        )

    def _times(
        self,
        rng: random.Random,
        outcome: str,
        path: list[Step],
        system: int,
        tails: dict[str, tuple[Step, ...]],
        s_nat: float,
        product_i: int,
        place_i: int,
        lead_days: float,
    ) -> tuple[int, list[int]] | None:
        """Fit the path to the outcome: ``(paid, [event times])`` with ``path`` extended in place, or None."""
        rnd = rng.random
        now_s = self.t.now_s
        earliest_paid = now_s - 60 * DAY

        def offsets(steps: list[Step]) -> list[int]:
            total, out = 0, []
            for s in steps:
                total += s[4] + int(rnd() * s[5])
                out.append(total)
            return out

        def scaled(paid: int, off: list[int], anchor: int, at: int) -> list[int]:
            """Times with ``off[anchor]`` landing on ``at``: scaled before, natural gaps after."""
            scale = (at - paid) / off[anchor] if off[anchor] else 1.0
            return [paid + int(o * scale) if i <= anchor else at + (o - off[anchor]) for i, o in enumerate(off)]

        if outcome == AWAITING:
            path.clear()
            return now_s - 300 - int(rnd() * 20 * HOUR), []

        if outcome in (ON_TIME, DELIVERED_LATE):
            path += tails[pick(rnd, DELIVERED_TAILS)]
            off = offsets(path)
            anchor = next(i for i, s in enumerate(path) if s[2] in ATTEMPT_KINDS)
            after = off[-1] - off[anchor]
            if outcome == ON_TIME:
                paid = now_s - int((3 + rnd() * 57) * DAY)
                dl = self.deadline(paid, product_i, place_i)[0]
                lo, hi = paid + 2 * DAY, min(dl - 600, now_s - after - 600)
                if hi <= lo:
                    return None
                at = paid + int(off[anchor] * s_nat)
                if not lo <= at <= hi:
                    at = lo + int((hi - lo) * (0.5 + 0.5 * rnd()))
            else:
                paid = now_s - int((lead_days + 2 + rnd() * (58 - lead_days)) * DAY)
                if paid < earliest_paid:
                    return None
                dl = self.deadline(paid, product_i, place_i)[0]
                lo, hi = dl + 3600, min(dl + 12 * DAY, now_s - after - 600)
                if hi <= lo:
                    return None
                at = lo + int((hi - lo) * rnd() ** 1.5)
            return paid, scaled(paid, off, anchor, at)

        if outcome in (ON_TRACK, LATE):
            path += tails["delivered"]
            off = offsets(path)
            attempt = len(path) - 1
            if outcome == ON_TRACK:
                paid = now_s - int((0.25 + rnd() * (min(lead_days, 12) - 0.25)) * DAY)
                if self.deadline(paid, product_i, place_i)[0] <= now_s + 3600:
                    return None
                scale = s_nat
                if paid + off[attempt] * scale <= now_s:
                    scale = (now_s - paid) / off[attempt] * (1.05 + 0.5 * rnd())
                stamps = [paid + int(o * scale) for o in off[:attempt]]
                keep = sum(1 for ts in stamps if ts <= now_s - 60)
                if keep == 0:
                    return None
            else:
                paid = now_s - int((lead_days + 1 + rnd() * (59 - lead_days)) * DAY)
                if paid < earliest_paid or self.deadline(paid, product_i, place_i)[0] >= now_s - 3600:
                    return None
                keep = 3 + int(rnd() * (attempt - 3))  # stuck somewhere after export customs started
                scale = s_nat * (1.0 + 0.8 * rnd())
                if paid + off[keep - 1] * scale > now_s - 600:
                    scale = (now_s - 600 - paid) / off[keep - 1] * (0.5 + 0.5 * rnd())
                stamps = [paid + int(o * scale) for o in off[:keep]]
            del path[keep:]
            return paid, stamps[:keep]

        if outcome == HELD:
            follows, hold, _ = pick_hold(rnd, HOLDS[system])
            cut = next(i for i, s in enumerate(path) if s[0] == follows)
            del path[cut + 1 :]
            path.append(hold_step(hold))
            at = now_s - 3600 - int(rnd() ** 2 * 20 * DAY)
        elif outcome == FAILED:
            path += tails["failed"]
            at = now_s - 3600 - int(rnd() ** 2 * 6 * DAY)
        elif outcome == PICKUP:
            path += tails[pick(rnd, PICKUP_TAILS)]
            at = now_s - 3600 - int(rnd() ** 1.5 * 12 * DAY)
        elif outcome == RETURNED:
            path += tails["returned"]
            at = now_s - 3600 - int(rnd() * 25 * DAY)
        else:  # pragma: no cover
            raise AssertionError(outcome)
        off = offsets(path)
        paid = max(earliest_paid, at - int(off[-1] * s_nat))
        return paid, scaled(paid, off, len(off) - 1, at)


def prefixes(seed: int) -> tuple[str, str]:
    """The LP and S10 number prefixes of a seed's bulk data (3 digits of the seed, a letter and a digit)."""
    return f"LP1{seed % 1000:03d}", f"U{'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[seed % 26]}{seed // 26 % 10}"
