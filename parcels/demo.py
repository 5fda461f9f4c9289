"""Deterministic demo data: a million realistic Spanish shipments, and a hand-picked showcase.

``generate`` loads bulk data below the ORM (raw ``executemany`` on SQLite, ``COPY`` on
PostgreSQL) and is a pure function of ``(count, seed, now)``: the same arguments give
the same rows, on any machine. Data is built in fixed blocks of ``BLOCK`` shipments,
each with its own ``random.Random`` seeded from ``(seed, block)``, so a run of N
shipments is a prefix of a run of M > N shipments with the same seed and ``now``.

Numbers: bulk LP numbers are ``LP1`` + 3 digits of the seed + 10 digits of the index,
bulk S10 numbers ``U<letter><digit>...CN`` with letter and digit from the seed; the
showcase keeps ``LP0000000000xxxx`` and ``RR...CN``. Loading a seed whose number range
is already in the database is refused (``DemoError``).

``showcase`` (re)writes nine fixed shipments, one per outcome, relative to ``now``.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import random
import sqlite3
import unicodedata
from bisect import bisect
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from multiprocessing.pool import AsyncResult
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, select

from parcels.deadlines import deadline_for
from parcels.policy import LeadTimeUnit, Market, Policy, Product, current_policy
from parcels.stages import EventKind, event_codes
from parcels.status import Progress
from parcels.storage import queries
from parcels.storage.db import default_engine, session_scope
from parcels.storage.models import Customer, Shipment, TrackingEvent
from parcels.tracking_numbers import make_s10

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

BLOCK = 10_000  # shipments per random stream: part of the determinism contract, do not change lightly
MAX_COUNT = 10_000_000  # the S10 serial space reserved per seed
CUSTOMERS_PER_SHIPMENT = 0.8  # a fifth of the shipments go to a returning customer
MARKET = "ES"

_H = 3600
_D = 86400


class DemoError(Exception):
    """Demo data that cannot be written as asked (number range taken, count too large...)."""


class DemoAlreadyLoaded(DemoError):
    """The seed's number range is already in the database."""


# --------------------------------------------------------------------------- places

# (province code, population in thousands, [(city, first postal code, how many codes, city population)])
# The first city of each province is its capital; postal codes of a city are consecutive.
PROVINCES: tuple[tuple[str, int, tuple[tuple[str, int, int, int], ...]], ...] = (
    ("01", 335, (("Vitoria-Gasteiz", 1001, 15, 255),)),
    ("02", 386, (("Albacete", 2001, 8, 174),)),
    (
        "03",
        1950,
        (("Alicante", 3001, 16, 340), ("Elche", 3201, 8, 235), ("Torrevieja", 3181, 6, 85), ("Benidorm", 3501, 3, 70)),
    ),
    ("04", 745, (("Almería", 4001, 9, 200),)),
    ("05", 158, (("Ávila", 5001, 5, 58),)),
    ("06", 668, (("Badajoz", 6001, 11, 150),)),
    ("07", 1210, (("Palma", 7001, 15, 420), ("Eivissa", 7800, 1, 50))),
    (
        "08",
        5800,
        (
            ("Barcelona", 8001, 42, 1660),
            ("L'Hospitalet de Llobregat", 8901, 8, 275),
            ("Badalona", 8911, 8, 225),
            ("Terrassa", 8221, 8, 225),
            ("Sabadell", 8201, 8, 217),
            ("Mataró", 8301, 4, 130),
        ),
    ),
    ("09", 357, (("Burgos", 9001, 7, 174),)),
    ("10", 389, (("Cáceres", 10001, 5, 96),)),
    ("11", 1250, (("Cádiz", 11001, 12, 112), ("Jerez de la Frontera", 11401, 8, 213), ("Algeciras", 11201, 7, 123))),
    ("12", 600, (("Castelló de la Plana", 12001, 6, 174),)),
    ("13", 493, (("Ciudad Real", 13001, 5, 75),)),
    ("14", 774, (("Córdoba", 14001, 14, 320),)),
    ("15", 1120, (("A Coruña", 15001, 11, 247), ("Santiago de Compostela", 15701, 7, 98))),
    ("16", 196, (("Cuenca", 16001, 4, 54),)),
    ("17", 800, (("Girona", 17001, 7, 103),)),
    ("18", 925, (("Granada", 18001, 15, 230),)),
    ("19", 270, (("Guadalajara", 19001, 5, 87),)),
    ("20", 727, (("Donostia-San Sebastián", 20001, 18, 188),)),
    ("21", 527, (("Huelva", 21001, 7, 142),)),
    ("22", 225, (("Huesca", 22001, 6, 53),)),
    ("23", 620, (("Jaén", 23001, 9, 111),)),
    ("24", 450, (("León", 24001, 10, 120),)),
    ("25", 440, (("Lleida", 25001, 8, 140),)),
    ("26", 320, (("Logroño", 26001, 9, 152),)),
    ("27", 326, (("Lugo", 27001, 4, 98),)),
    (
        "28",
        6870,
        (
            ("Madrid", 28001, 55, 3330),
            ("Móstoles", 28931, 8, 210),
            ("Alcalá de Henares", 28801, 7, 197),
            ("Fuenlabrada", 28940, 8, 193),
            ("Leganés", 28911, 9, 190),
            ("Getafe", 28901, 9, 185),
            ("Alcorcón", 28921, 5, 172),
        ),
    ),
    ("29", 1720, (("Málaga", 29001, 18, 580), ("Marbella", 29600, 5, 150))),
    ("30", 1550, (("Murcia", 30001, 12, 465), ("Cartagena", 30201, 5, 218), ("Lorca", 30800, 1, 97))),
    ("31", 665, (("Pamplona", 31001, 16, 203),)),
    ("32", 305, (("Ourense", 32001, 5, 104),)),
    ("33", 1010, (("Oviedo", 33001, 13, 218), ("Gijón", 33201, 13, 268))),
    ("34", 159, (("Palencia", 34001, 5, 77),)),
    (
        "35",
        1130,
        (("Las Palmas de Gran Canaria", 35001, 19, 380), ("Telde", 35200, 1, 102), ("Arrecife", 35500, 1, 64)),
    ),
    ("36", 945, (("Pontevedra", 36001, 5, 83), ("Vigo", 36201, 16, 295))),
    ("37", 328, (("Salamanca", 37001, 8, 143),)),
    ("38", 1050, (("Santa Cruz de Tenerife", 38001, 10, 209), ("San Cristóbal de La Laguna", 38201, 8, 158))),
    ("39", 585, (("Santander", 39001, 12, 172),)),
    ("40", 154, (("Segovia", 40001, 6, 51),)),
    ("41", 1950, (("Sevilla", 41001, 20, 680), ("Dos Hermanas", 41700, 5, 136))),
    ("42", 89, (("Soria", 42001, 5, 40),)),
    ("43", 830, (("Tarragona", 43001, 8, 136), ("Reus", 43201, 6, 106))),
    ("44", 135, (("Teruel", 44001, 3, 36),)),
    ("45", 710, (("Toledo", 45001, 8, 86), ("Talavera de la Reina", 45600, 1, 83))),
    ("46", 2620, (("València", 46001, 26, 800), ("Gandia", 46700, 3, 75))),
    ("47", 520, (("Valladolid", 47001, 16, 298),)),
    ("48", 1150, (("Bilbao", 48001, 15, 345), ("Barakaldo", 48901, 3, 100))),
    ("49", 167, (("Zamora", 49001, 29, 60),)),
    ("50", 970, (("Zaragoza", 50001, 22, 680),)),
    ("51", 83, (("Ceuta", 51001, 5, 83),)),
    ("52", 85, (("Melilla", 52001, 6, 85),)),
)

ORIGINS = ("Shenzhen, CN", "Guangzhou, CN")
HONG_KONG = "Hong Kong, HK"
HUBS = (("Madrid-Barajas, ES", "Madrid, ES"), ("Zaragoza, ES", "Zaragoza, ES"))  # (air hub, sorting centre)

FIRST_NAMES_ES = (
    "María",
    "Lucía",
    "Carmen",
    "Ana",
    "Laura",
    "Marta",
    "Elena",
    "Paula",
    "Sara",
    "Isabel",
    "Cristina",
    "Sofía",
    "Julia",
    "Alba",
    "Irene",
    "Pilar",
    "Rosa",
    "Nuria",
    "Raquel",
    "Beatriz",
    "Ainhoa",
    "Noelia",
    "Montserrat",
    "Antonio",
    "Manuel",
    "José",
    "Francisco",
    "David",
    "Juan",
    "Javier",
    "Daniel",
    "Carlos",
    "Jesús",
    "Alejandro",
    "Miguel",
    "Pablo",
    "Sergio",
    "Jorge",
    "Alberto",
    "Luis",
    "Álvaro",
    "Diego",
    "Adrián",
    "Iker",
    "Jordi",
    "Xabier",
    "Pau",
    "Rubén",
    "Íñigo",
    "Óscar",
)
SURNAMES_ES = (
    "García",
    "Rodríguez",
    "González",
    "Fernández",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Hernández",
    "Ruiz",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Gutiérrez",
    "Alonso",
    "Navarro",
    "Torres",
    "Domínguez",
    "Ramos",
    "Vázquez",
    "Ramírez",
    "Gil",
    "Serrano",
    "Morales",
    "Molina",
    "Blanco",
    "Suárez",
    "Castro",
    "Ortega",
    "Delgado",
    "Ortiz",
    "Marín",
    "Rubio",
    "Núñez",
    "Sanz",
    "Iglesias",
    "Medina",
    "Garrido",
    "Cortés",
    "Castillo",
    "Santos",
    "Lozano",
    "Guerrero",
    "Cano",
    "Prieto",
    "Méndez",
    "Cruz",
    "Calvo",
    "Gallego",
    "Vidal",
    "León",
    "Márquez",
    "Herrera",
    "Peña",
    "Flores",
    "Cabrera",
    "Campos",
    "Vega",
    "Fuentes",
    "Carrasco",
    "Díez",
    "Caballero",
    "Reyes",
    "Nieto",
    "Aguilar",
    "Pascual",
    "Santana",
    "Herrero",
    "Lorenzo",
    "Montero",
    "Hidalgo",
    "Ibáñez",
    "Ferrer",
    "Durán",
    "Benítez",
    "Mora",
    "Vicente",
    "Vargas",
    "Arias",
    "Crespo",
    "Pastor",
    "Soto",
    "Sáez",
    "Velasco",
    "Soler",
    "Parra",
    "Esteban",
    "Bravo",
    "Rojas",
    "Etxeberria",
    "Puig",
    "Ferreiro",
)
FIRST_NAMES_EN = (
    "James",
    "Oliver",
    "Harry",
    "George",
    "Thomas",
    "William",
    "Jack",
    "Daniel",
    "Emma",
    "Olivia",
    "Sophie",
    "Charlotte",
    "Amelia",
    "Emily",
    "Grace",
    "Hannah",
)
SURNAMES_EN = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Thompson",
    "White",
    "Hughes",
)
EMAIL_DOMAINS = ("example.com", "example.es", "example.net", "example.org")

# Products and how often they are bought; a product of the market not listed here gets weight 5.
PRODUCT_WEIGHTS = {"CHOICE_9": 70, "STANDARD": 22, "PREMIUM": 8}

# --------------------------------------------------------------------------- outcomes

AWAITING = "awaiting_collection"
ON_TRACK = "on_track"
LATE = "late"
HELD = "held_in_customs"
FAILED = "delivery_failed"
PICKUP = "at_pickup_point"
ON_TIME = "delivered_on_time"
DELIVERED_LATE = "delivered_late"
RETURNED = "returned"

OUTCOME_WEIGHTS = (
    (ON_TIME, 560),
    (DELIVERED_LATE, 100),
    (ON_TRACK, 140),
    (LATE, 50),
    (HELD, 40),
    (FAILED, 30),
    (PICKUP, 45),
    (RETURNED, 20),
    (AWAITING, 15),
)
assert {o for o, _ in OUTCOME_WEIGHTS} == {str(p) for p in Progress}

# --------------------------------------------------------------------------- event paths

# Slots of a shipment's places tuple.
_ORIGIN, _EXPORT, _HUB, _SORT, _DEST, _TRANSIT = range(6)

# A step: (code, stage, kind, place slot, least gap from the previous event in seconds, gap spread, probability)
Step = tuple[str, int, str, int, int, int, float]


def _step(code: str, slot: int, lo_hours: float, hi_hours: float, p: float = 1.0) -> Step:
    known = event_codes()[code]  # a typo here fails at import, not in the middle of a load
    return (code, int(known.stage), str(known.kind), slot, int(lo_hours * _H), int((hi_hours - lo_hours) * _H), p)


_CAINIAO_CHINA = (
    _step("PU_PICKUP_SUCCESS", _ORIGIN, 4, 40),
    _step("GWMS_ACCEPT", _ORIGIN, 1, 8, 0.5),
    _step("GWMS_OUTBOUND", _ORIGIN, 3, 20),
    _step("SC_INBOUND_SUCCESS", _ORIGIN, 2, 12),
    _step("SC_OUTBOUND_SUCCESS", _ORIGIN, 3, 18, 0.6),
    _step("CC_EX_START", _EXPORT, 3, 20),
    _step("CC_EX_SUCCESS", _EXPORT, 2, 30),
    _step("LH_HO_IN_SUCCESS", _EXPORT, 3, 20, 0.4),
    _step("LH_DEPART", _EXPORT, 4, 36),
    _step("LH_ARRIVE", _HUB, 13, 30),
)
_CAINIAO_SPAIN = (
    _step("CC_HO_IN_SUCCESS", _HUB, 1, 10, 0.4),
    _step("CC_IM_START", _HUB, 2, 20),
    _step("CC_IM_SUCCESS", _HUB, 3, 40),
    _step("GTMS_ACCEPT", _SORT, 2, 20),
    _step("GTMS_SC_ARRIVE", _SORT, 4, 30, 0.5),
    _step("GTMS_SC_DEPART", _SORT, 2, 16),
    _step("GTMS_DO_ARRIVE", _DEST, 6, 30),
)
_UPU_CHINA = (
    _step("EMA", _ORIGIN, 6, 48),
    _step("EMB", _ORIGIN, 4, 30),
    _step("EXA", _EXPORT, 3, 20),
    _step("EXC", _EXPORT, 2, 30, 0.5),
    _step("EMC", _EXPORT, 4, 36),
)
_UPU_VIA_HONG_KONG = (_step("EMJ", _TRANSIT, 3, 10), _step("EMK", _TRANSIT, 4, 20))
_UPU_SPAIN = (
    _step("EMD", _HUB, 13, 30),
    _step("EDB", _HUB, 1, 12, 0.6),
    _step("EDC", _HUB, 3, 40),
    _step("EMF", _HUB, 2, 20),
    _step("EDD", _SORT, 4, 24, 0.5),
    _step("EDE", _SORT, 2, 12, 0.5),
    _step("EMG", _DEST, 6, 30),
)

CAINIAO, UPU, HYBRID = 0, 1, 2  # event code systems: Cainiao end to end, postal (UPU) end to end, Cainiao then Correos
_TRUNKS: dict[int, tuple[tuple[Step, ...], ...]] = {
    CAINIAO: (_CAINIAO_CHINA + _CAINIAO_SPAIN,),
    UPU: (_UPU_CHINA + _UPU_SPAIN, _UPU_CHINA + _UPU_VIA_HONG_KONG + _UPU_SPAIN),
    HYBRID: (_CAINIAO_CHINA + _UPU_SPAIN,),
}
_TRUNK_MEANS = {
    id(trunk): sum((lo + span / 2) * p for _, _, _, _, lo, span, p in trunk)
    for trunks in _TRUNKS.values()
    for trunk in trunks
}
# Where a customs hold interrupts the trunk: (the code the hold follows, the hold code, weight)
_HOLDS: dict[int, tuple[tuple[str, str, int], ...]] = {
    CAINIAO: (("CC_IM_START", "CC_IM_HOLD", 3), ("CC_EX_START", "CC_EX_HOLD", 1)),
    UPU: (("EXA", "EXB", 1),),
    HYBRID: (("EMD", "CC_IM_HOLD", 3), ("CC_EX_START", "CC_EX_HOLD", 1)),
}
_ROLES = {
    CAINIAO: {
        "ofd": "GTMS_DELIVERING",
        "failed": "GTMS_DELIVERY_FAILED",
        "pickup": "GTMS_STA_SIGNED",
        "delivered": "GTMS_SIGNED",
        "returned": "GTMS_RETURNED",
    },
    UPU: {"ofd": "EDG", "failed": "EMH", "pickup": "EDH", "delivered": "EMI", "returned": "GTMS_RETURNED"},
}
_ROLES[HYBRID] = _ROLES[UPU]
# Last-mile endings, after arrival at the delivery office: (role, least gap in hours, most gap in hours)
_TAIL_SHAPES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "delivered": (("ofd", 2, 14), ("delivered", 1, 9)),
    "failed_delivered": (("ofd", 2, 14), ("failed", 1, 9), ("ofd", 16, 40), ("delivered", 1, 9)),
    "pickup_collected": (("pickup", 4, 30), ("delivered", 6, 144)),
    "failed_pickup_collected": (("ofd", 2, 14), ("failed", 1, 9), ("pickup", 6, 30), ("delivered", 6, 144)),
    "failed": (("ofd", 2, 14), ("failed", 1, 9)),
    "pickup": (("pickup", 4, 30),),
    "failed_pickup": (("ofd", 2, 14), ("failed", 1, 9), ("pickup", 6, 30)),
    "returned": (("ofd", 2, 14), ("failed", 1, 9), ("pickup", 6, 30), ("returned", 288, 384)),
}
_TAILS = {
    system: {name: tuple(_step(roles[r], _DEST, lo, hi) for r, lo, hi in shape) for name, shape in _TAIL_SHAPES.items()}
    for system, roles in _ROLES.items()
}
_DELIVERED_TAILS = (
    ("delivered", 80),
    ("failed_delivered", 7),
    ("pickup_collected", 11),
    ("failed_pickup_collected", 2),
)
_PICKUP_TAILS = (("pickup", 6), ("failed_pickup", 4))
_ATTEMPT_KINDS = frozenset({str(EventKind.ATTEMPT_FAILED), str(EventKind.DELIVERED)})


# --------------------------------------------------------------------------- the generator


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


def _build_tables(policy: Policy, now: datetime) -> _Tables:
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
    day0 = now_s // _D - 3 * 366
    days = now_s // _D + 60 - day0  # deadlines fall up to a few weeks after now
    epoch = date(1970, 1, 1)
    day_text = tuple((epoch + timedelta(days=day0 + i)).isoformat() for i in range(days))
    time_text = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000000" for s in range(_D))
    hour0 = day0 * 24
    hours = days * 24
    offsets = tuple(
        tuple(
            int(datetime.fromtimestamp((hour0 + h) * _H, UTC).astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]
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


# Rows as SQLite takes them, in the order of _CUSTOMER_COLUMNS, _SHIPMENT_COLUMNS and _EVENT_COLUMNS.
_CustomerRow = tuple[int, str, str, str | None, str, str]
_ShipmentRow = tuple[
    int, str, str, int, str, str, str, str, str, str, str, str, int | None, str | None, str | None, str | None, str
]
_EventRow = tuple[str, int, str, int, str, str, str, str]


@dataclass(slots=True)
class _Block:
    customers: list[_CustomerRow]
    shipments: list[_ShipmentRow]
    events: list[_EventRow]


class _Generator:
    """Builds blocks of rows (SQLite-ready tuples: ints and text) for one (seed, now)."""

    def __init__(self, seed: int, now: datetime, policy: Policy, ids: tuple[int, int]) -> None:
        self.seed = seed
        self.t = _build_tables(policy, now)
        self.fmt = self._formatter(self.t)
        self.customer_base, self.shipment_base = ids
        self.lp_prefix, s10_range = _prefixes(seed)
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
            day, second = divmod(ts, _D)
            return day_text[day - day0] + time_text[second]

        return fmt

    def deadline(self, paid_s: int, product_i: int, place_i: int) -> tuple[int, str, str]:
        """(deadline epoch seconds, promised date text, deadline text), cached per product, local day, province."""
        t = self.t
        province = t.places[place_i][0]
        zone_i = t.zone_of_province[province]
        local_day = (paid_s + t.offsets[zone_i][paid_s // _H - t.hour0]) // _D
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

    def block(self, block_no: int, count: int) -> _Block:
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
            created = fmt(now_s - 61 * _D - int(rnd() * 700 * _D))
            customers.append((k, name, phone, email, locale, created))
        owners = list(range(n_customers)) + [int(rnd() * n_customers) for _ in range(n - n_customers)]
        rng.shuffle(owners)

        shipments: list[_ShipmentRow] = []
        events: list[_EventRow] = []
        for j in range(n):
            self._shipment(rng, first + j, customer_first + owners[j], shipments, events)
        return _Block(customers, shipments, events)

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
        trunks = _TRUNKS[system]
        tails = _TAILS[system]
        typical_s = lead_days * 0.65 * _D  # a typical time from payment to the first delivery attempt

        for _attempt in range(8):
            trunk = trunks[0] if len(trunks) == 1 or rnd() < 0.7 else trunks[1]
            path = [s for s in trunk if s[6] >= 1.0 or rnd() < s[6]]
            s_nat = typical_s / _TRUNK_MEANS[id(trunk)] * (0.75 + 0.55 * rnd())
            times = self._times(rng, outcome, path, system, tails, s_nat, product_i, place_i, lead_days)
            if times is not None:
                break
        else:  # no fit found (very rare): the shipment is just paid and awaits collection
            outcome, path = AWAITING, []
            times = (now_s - 600 - int(rnd() * 20 * _H), [])
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
            if first_attempt is None and kind in _ATTEMPT_KINDS:
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
        earliest_paid = now_s - 60 * _D

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
            return now_s - 300 - int(rnd() * 20 * _H), []

        if outcome in (ON_TIME, DELIVERED_LATE):
            path += tails[_pick(rnd, _DELIVERED_TAILS)]
            off = offsets(path)
            anchor = next(i for i, s in enumerate(path) if s[2] in _ATTEMPT_KINDS)
            after = off[-1] - off[anchor]
            if outcome == ON_TIME:
                paid = now_s - int((3 + rnd() * 57) * _D)
                dl = self.deadline(paid, product_i, place_i)[0]
                lo, hi = paid + 2 * _D, min(dl - 600, now_s - after - 600)
                if hi <= lo:
                    return None
                at = paid + int(off[anchor] * s_nat)
                if not lo <= at <= hi:
                    at = lo + int((hi - lo) * (0.5 + 0.5 * rnd()))
            else:
                paid = now_s - int((lead_days + 2 + rnd() * (58 - lead_days)) * _D)
                if paid < earliest_paid:
                    return None
                dl = self.deadline(paid, product_i, place_i)[0]
                lo, hi = dl + 3600, min(dl + 12 * _D, now_s - after - 600)
                if hi <= lo:
                    return None
                at = lo + int((hi - lo) * rnd() ** 1.5)
            return paid, scaled(paid, off, anchor, at)

        if outcome in (ON_TRACK, LATE):
            path += tails["delivered"]
            off = offsets(path)
            attempt = len(path) - 1
            if outcome == ON_TRACK:
                paid = now_s - int((0.25 + rnd() * (min(lead_days, 12) - 0.25)) * _D)
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
                paid = now_s - int((lead_days + 1 + rnd() * (59 - lead_days)) * _D)
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
            follows, hold, _ = _pick_hold(rnd, _HOLDS[system])
            cut = next(i for i, s in enumerate(path) if s[0] == follows)
            del path[cut + 1 :]
            path.append(_hold_step(hold))
            at = now_s - 3600 - int(rnd() ** 2 * 20 * _D)
        elif outcome == FAILED:
            path += tails["failed"]
            at = now_s - 3600 - int(rnd() ** 2 * 6 * _D)
        elif outcome == PICKUP:
            path += tails[_pick(rnd, _PICKUP_TAILS)]
            at = now_s - 3600 - int(rnd() ** 1.5 * 12 * _D)
        elif outcome == RETURNED:
            path += tails["returned"]
            at = now_s - 3600 - int(rnd() * 25 * _D)
        else:  # pragma: no cover
            raise AssertionError(outcome)
        off = offsets(path)
        paid = max(earliest_paid, at - int(off[-1] * s_nat))
        return paid, scaled(paid, off, len(off) - 1, at)


def _pick(rnd: Callable[[], float], weighted: tuple[tuple[str, int], ...]) -> str:
    x = rnd() * sum(w for _, w in weighted)
    for name, w in weighted:
        x -= w
        if x < 0:
            return name
    return weighted[-1][0]


def _pick_hold(rnd: Callable[[], float], holds: tuple[tuple[str, str, int], ...]) -> tuple[str, str, int]:
    x = rnd() * sum(h[2] for h in holds)
    for hold in holds:
        x -= hold[2]
        if x < 0:
            return hold
    return holds[-1]


_HOLD_STEPS = {
    code: _step(code, _EXPORT if code.startswith(("EX", "CC_EX")) else _HUB, 2, 24)
    for code in ("CC_IM_HOLD", "CC_EX_HOLD", "EXB")
}


def _hold_step(code: str) -> Step:
    return _HOLD_STEPS[code]


# --------------------------------------------------------------------------- writers

_CUSTOMER_COLUMNS = "id, name, phone, email, locale, created_at"
_SHIPMENT_COLUMNS = (
    "id, tracking_number, order_ref, customer_id, product_code, market_code, origin_country, "
    "destination_postal_code, destination_city, paid_at, promised_date, deadline_at, current_stage, "
    "last_event_at, first_attempt_at, delivered_at, created_at"
)
# Event ids are left to the database: the next after the current largest, in insertion order.
_EVENT_COLUMNS = "event_id, shipment_id, code, stage, kind, occurred_at, location, received_at"


def _insert(table: str, columns: str) -> str:
    return f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['?'] * (columns.count(',') + 1))})"


def _n(value: object) -> str:
    return "\\N" if value is None else str(value)


def _t(value: str | None) -> str:
    return "\\N" if value is None else value + "+00"


def _copy_text(block: _Block) -> tuple[str, str, str]:
    """The block as COPY text (tab-separated; demo values hold no tab, newline or backslash)."""
    customers = "".join([f"{c[0]}\t{c[1]}\t{c[2]}\t{_n(c[3])}\t{c[4]}\t{c[5]}+00\n" for c in block.customers])
    shipments = "".join(
        [
            f"{s[0]}\t{s[1]}\t{s[2]}\t{s[3]}\t{s[4]}\t{s[5]}\t{s[6]}\t{s[7]}\t{s[8]}\t{s[9]}+00\t{s[10]}\t{s[11]}+00\t"
            f"{_n(s[12])}\t{_t(s[13])}\t{_t(s[14])}\t{_t(s[15])}\t{s[16]}+00\n"
            for s in block.shipments
        ]
    )
    events = "".join([f"{e[0]}\t{e[1]}\t{e[2]}\t{e[3]}\t{e[4]}\t{e[5]}+00\t{e[6]}\t{e[7]}+00\n" for e in block.events])
    return customers, shipments, events


class _SqliteWriter:
    """One transaction, ``executemany`` per block, durability relaxed while loading."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.isolation_level = self.con.isolation_level
        self.con.isolation_level = None  # we say BEGIN and COMMIT ourselves
        self.cur = self.con.cursor()
        self.journal_mode = self.cur.execute("PRAGMA journal_mode").fetchone()[0]
        # A rollback journal rather than WAL: the WAL would hold a second copy of everything written, copied
        # again at the checkpoint; a rollback journal only keeps the few pages that existed before. Only
        # possible when no other connection has the database open: otherwise the load stays in WAL mode.
        with contextlib.suppress(sqlite3.OperationalError):
            self.cur.execute("PRAGMA journal_mode=DELETE")
        self.cur.execute("PRAGMA synchronous=OFF")
        self.cur.execute("PRAGMA foreign_keys=OFF")  # rows are consistent by construction
        self.cur.execute("PRAGMA cache_size=-1000000")  # about 1 GB of page cache for the indexes while loading
        self.cur.execute("BEGIN IMMEDIATE")

    def write(self, block: _Block) -> int:
        self.cur.executemany(_insert("customers", _CUSTOMER_COLUMNS), block.customers)
        self.cur.executemany(_insert("shipments", _SHIPMENT_COLUMNS), block.shipments)
        self.cur.executemany(_insert("tracking_events", _EVENT_COLUMNS), block.events)
        return len(block.shipments)

    def finish(self, ok: bool) -> None:
        try:
            self.cur.execute("COMMIT" if ok else "ROLLBACK")
        finally:
            self.cur.execute("PRAGMA cache_size=-2000")
            self.cur.execute("PRAGMA foreign_keys=ON")
            self.cur.execute("PRAGMA synchronous=NORMAL")
            with contextlib.suppress(sqlite3.OperationalError):
                self.cur.execute(f"PRAGMA journal_mode={self.journal_mode}")
            self.cur.close()
            self.con.isolation_level = self.isolation_level


class _PostgresWriter:
    """One transaction, three ``COPY ... FROM STDIN`` per block.

    The foreign keys of the loaded tables are dropped for the load and added again at the end, in the
    same transaction: checked once over the whole tables instead of by a trigger per row (twice as
    fast). That holds exclusive locks on the tables until the load commits. The sequences are moved
    past the ids chosen here.
    """

    def __init__(self, con: psycopg.Connection[TupleRow]) -> None:
        import psycopg

        self.con = con
        self.cur = self.con.cursor()
        self.cur.execute("SET LOCAL synchronous_commit = off")
        self.foreign_keys: list[tuple[str, str, str]] = []
        self.cur.execute("SAVEPOINT demo_foreign_keys")
        try:
            for table in ("tracking_events", "shipments", "customers"):
                self.cur.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                    (table,),
                )
                for name, definition in self.cur.fetchall():
                    self.cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                    self.foreign_keys.append((table, name, definition))
        except psycopg.errors.InsufficientPrivilege:  # not the tables' owner: load with the checks per row
            self.cur.execute("ROLLBACK TO SAVEPOINT demo_foreign_keys")
            self.foreign_keys = []

    def write(self, block: tuple[str, str, str, int]) -> int:
        customers, shipments, events, count = block
        for table, columns, text in (
            ("customers", _CUSTOMER_COLUMNS, customers),
            ("shipments", _SHIPMENT_COLUMNS, shipments),
            ("tracking_events", _EVENT_COLUMNS, events),
        ):
            with self.cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(text)
        return count

    def finish(self, ok: bool) -> None:
        if not ok:
            self.con.rollback()
            self.cur.close()
            return
        for table, name, definition in self.foreign_keys:
            self.cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for table in ("customers", "shipments"):
            self.cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table})) "
                f"WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL AND EXISTS (SELECT 1 FROM {table})"
            )
        self.con.commit()
        self.cur.execute("ANALYZE customers, shipments, tracking_events")  # fresh statistics for the planner
        self.con.commit()
        self.cur.close()


# --------------------------------------------------------------------------- generate

_worker: _Generator | None = None


def _worker_start(seed: int, now: datetime, policy: Policy, ids: tuple[int, int]) -> None:
    global _worker
    _worker = _Generator(seed, now, policy, ids)


def _worker_block(block_no: int, count: int, copy_text: bool) -> _Block | tuple[str, str, str, int]:
    assert _worker is not None
    block = _worker.block(block_no, count)
    return (*_copy_text(block), len(block.shipments)) if copy_text else block


def _blocks(
    seed: int, now: datetime, policy: Policy, ids: tuple[int, int], count: int, copy_text: bool, workers: int
) -> Iterator[_Block | tuple[str, str, str, int]]:
    """The blocks in order; built by ``workers`` other processes while this one writes, if more than none."""
    n_blocks = math.ceil(count / BLOCK)
    if workers <= 0 or n_blocks < 3:
        _worker_start(seed, now, policy, ids)
        for block_no in range(n_blocks):
            yield _worker_block(block_no, count, copy_text)
        return
    context = multiprocessing.get_context("spawn")  # no fork: this process holds database connections
    with context.Pool(workers, initializer=_worker_start, initargs=(seed, now, policy, ids)) as pool:
        ahead = 2 * workers + 1  # blocks built in advance: bounded, so memory stays flat
        pending: deque[AsyncResult[_Block | tuple[str, str, str, int]]] = deque()
        submitted = 0
        while submitted < n_blocks and len(pending) < ahead:
            pending.append(pool.apply_async(_worker_block, (submitted, count, copy_text)))
            submitted += 1
        while pending:
            block = pending.popleft().get()
            if submitted < n_blocks:
                pending.append(pool.apply_async(_worker_block, (submitted, count, copy_text)))
                submitted += 1
            yield block


def generate(
    count: int,
    seed: int,
    now: datetime,
    engine: Engine | None = None,
    progress: bool = False,
    *,
    workers: int | None = None,
) -> int:
    """Load ``count`` demo shipments (with customers and events) for ``seed`` as of ``now``; returns how many.

    ``workers``: processes that build rows while this one writes (default: one when there are two cores or
    more and the load is large enough). The rows do not depend on it. Callers from a script need the usual
    ``if __name__ == "__main__":`` guard, as for any use of ``multiprocessing``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if count < 0 or count > MAX_COUNT:
        raise DemoError(f"count must be between 0 and {MAX_COUNT:,}, got {count:,}")
    if seed < 0:
        raise DemoError("seed must not be negative")
    if count == 0:
        return 0
    engine = engine or default_engine()
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise DemoError(f"demo data is written to SQLite or PostgreSQL, not {dialect}")
    policy = current_policy()
    _build_tables(policy, now)  # fail early on a policy the generator cannot use
    mark = "?" if dialect == "sqlite" else "%s"
    lp_prefix, s10_prefix = _prefixes(seed)

    from tqdm import tqdm

    raw = engine.raw_connection()
    writer: _SqliteWriter | _PostgresWriter | None = None
    ok = False
    written = 0
    try:
        con = raw.driver_connection
        if con is None:  # only once the pool has invalidated the connection
            raise DemoError("the database connection was closed before the load started")
        cur = con.cursor()
        cur.execute(
            f"SELECT tracking_number FROM shipments WHERE tracking_number LIKE {mark} OR tracking_number LIKE {mark} "
            "LIMIT 1",
            (lp_prefix + "%", s10_prefix + "%"),
        )
        taken = cur.fetchone()
        if taken is not None:
            raise DemoAlreadyLoaded(
                f"the demo number range of seed {seed} is already in the database (e.g. {taken[0]}); "
                "choose another seed or start from an empty database"
            )
        ids = []
        for table in ("customers", "shipments"):
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            ids.append(int(cur.fetchone()[0]))
        cur.close()
        con.rollback()
        writer = _SqliteWriter(con) if dialect == "sqlite" else _PostgresWriter(con)
        if workers is None:
            workers = 1 if (os.cpu_count() or 1) > 1 else 0
        blocks = _blocks(seed, now, policy, (ids[0], ids[1]), count, dialect == "postgresql", workers)
        with tqdm(total=count, unit=" shipments", unit_scale=True, disable=None if progress else True) as bar:
            for block in blocks:
                done = writer.write(block)  # type: ignore[arg-type]
                written += done
                bar.update(done)
        ok = True
    finally:
        try:
            if writer is not None:
                writer.finish(ok)
        finally:
            raw.close()
    return written


def _prefixes(seed: int) -> tuple[str, str]:
    """The LP and S10 number prefixes of a seed's bulk data (3 digits of the seed, a letter and a digit)."""
    return f"LP1{seed % 1000:03d}", f"U{'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[seed % 26]}{seed // 26 % 10}"


# --------------------------------------------------------------------------- the showcase


@dataclass(frozen=True, slots=True)
class Showcase:
    tracking_number: str
    outcome: str  # a parcels.status.Progress value: what the assistant should say about it now
    description: str


SHOWCASE_CUSTOMER = {
    "name": "Lucía Martín Navarro",
    "phone": "+34600000042",
    "email": "lucia.martin@example.com",
    "locale": "es",
}

_CN_TRUNK = (
    ("PU_PICKUP_SUCCESS", _ORIGIN, 18),
    ("GWMS_OUTBOUND", _ORIGIN, 30),
    ("SC_INBOUND_SUCCESS", _ORIGIN, 38),
    ("CC_EX_START", _EXPORT, 50),
    ("CC_EX_SUCCESS", _EXPORT, 60),
    ("LH_DEPART", _EXPORT, 72),
    ("LH_ARRIVE", _HUB, 90),
    ("CC_IM_START", _HUB, 100),
    ("CC_IM_SUCCESS", _HUB, 112),
    ("GTMS_ACCEPT", _SORT, 122),
    ("GTMS_SC_DEPART", _SORT, 134),
    ("GTMS_DO_ARRIVE", _DEST, 150),
)


def _trunk_until(code: str, hours: dict[str, int] | None = None) -> list[tuple[str, int, float]]:
    out: list[tuple[str, int, float]] = []
    for c, slot, h in _CN_TRUNK:
        out.append((c, slot, (hours or {}).get(c, h)))
        if c == code:
            break
    return out


# number, outcome, description, product, postal code, city, paid hours before now, [(code, slot, hours after paid)]
_SHOWCASE: tuple[tuple[str, str, str, str, str, str, float, list[tuple[str, int, float]]], ...] = (
    (
        "LP00000000000001",
        ON_TRACK,
        "in transit (left China), promise not yet due",
        "CHOICE_9",
        "28013",
        "Madrid",
        80,
        _trunk_until("LH_DEPART"),
    ),
    (
        "LP00000000000002",
        LATE,
        "still in transit, promised date already passed",
        "CHOICE_9",
        "08013",
        "Barcelona",
        312,
        _trunk_until(
            "GTMS_SC_DEPART",
            {
                "LH_DEPART": 96,
                "LH_ARRIVE": 130,
                "CC_IM_START": 150,
                "CC_IM_SUCCESS": 200,
                "GTMS_ACCEPT": 220,
                "GTMS_SC_DEPART": 260,
            },
        ),
    ),
    (
        "LP00000000000003",
        HELD,
        "held by import customs, documents requested from the buyer",
        "CHOICE_9",
        "28013",
        "Madrid",
        144,
        [*_trunk_until("CC_IM_START"), ("CC_IM_HOLD", _HUB, 110)],
    ),
    (
        "LP00000000000004",
        FAILED,
        "delivery attempted a few hours ago, nobody at home",
        "CHOICE_9",
        "28013",
        "Madrid",
        168,
        [*_trunk_until("GTMS_DO_ARRIVE"), ("GTMS_DELIVERING", _DEST, 158), ("GTMS_DELIVERY_FAILED", _DEST, 163)],
    ),
    (
        "LP00000000000005",
        AWAITING,
        "paid two hours ago, not yet collected from the seller",
        "PREMIUM",
        "46001",
        "València",
        2,
        [],
    ),
    (
        make_s10("RR", 1, "CN"),
        ON_TIME,
        "delivered before the promised date (postal S10 number, Canaries)",
        "CHOICE_9",
        "35002",
        "Las Palmas de Gran Canaria",
        240,
        [
            ("EMA", _ORIGIN, 20),
            ("EMB", _ORIGIN, 36),
            ("EXA", _EXPORT, 50),
            ("EXC", _EXPORT, 62),
            ("EMC", _EXPORT, 74),
            ("EMD", _HUB, 92),
            ("EDC", _HUB, 110),
            ("EMF", _HUB, 122),
            ("EMG", _DEST, 150),
            ("EDG", _DEST, 160),
            ("EMI", _DEST, 166),
        ],
    ),
    (
        "LP00000000000006",
        DELIVERED_LATE,
        "delivered after the promised date: compensation is owed",
        "CHOICE_9",
        "28013",
        "Madrid",
        480,
        [
            *_trunk_until(
                "GTMS_DO_ARRIVE",
                {
                    "LH_DEPART": 100,
                    "LH_ARRIVE": 140,
                    "CC_IM_START": 160,
                    "CC_IM_SUCCESS": 200,
                    "GTMS_ACCEPT": 215,
                    "GTMS_SC_DEPART": 230,
                    "GTMS_DO_ARRIVE": 245,
                },
            ),
            ("GTMS_DELIVERING", _DEST, 255),
            ("GTMS_SIGNED", _DEST, 264),
        ],
    ),
    (
        "LP00000000000007",
        PICKUP,
        "waiting at a pick-up point (a station signed, not the customer)",
        "CHOICE_9",
        "08013",
        "Barcelona",
        192,
        [*_trunk_until("GTMS_DO_ARRIVE"), ("GTMS_STA_SIGNED", _DEST, 170)],
    ),
    (
        "LP00000000000008",
        RETURNED,
        "not collected from the pick-up point, returned to the sender",
        "STANDARD",
        "28013",
        "Madrid",
        960,
        [
            *_trunk_until("GTMS_DO_ARRIVE"),
            ("GTMS_DELIVERING", _DEST, 160),
            ("GTMS_DELIVERY_FAILED", _DEST, 165),
            ("GTMS_STA_SIGNED", _DEST, 190),
            ("GTMS_RETURNED_UNCLAIMED", _DEST, 550),
        ],
    ),
    (
        "LP00000000000009",
        DELIVERED_LATE,
        "Standard product delivered late: compensation to claim (postal code 41004)",
        "STANDARD",
        "41004",
        "Sevilla",
        840,
        [
            *_trunk_until(
                "GTMS_DO_ARRIVE",
                {
                    "LH_DEPART": 150,
                    "LH_ARRIVE": 260,
                    "CC_IM_START": 300,
                    "CC_IM_SUCCESS": 420,
                    "GTMS_ACCEPT": 470,
                    "GTMS_SC_DEPART": 520,
                    "GTMS_DO_ARRIVE": 600,
                },
            ),
            ("GTMS_DELIVERING", _DEST, 640),
            ("GTMS_SIGNED", _DEST, 650),
        ],
    ),
    (
        "LP00000000000010",
        LATE,
        "late, but the address was wrong before the promised date: no compensation",
        "CHOICE_9",
        "29001",
        "Málaga",
        300,
        [*_trunk_until("GTMS_SC_DEPART"), ("GTMS_ADDRESS_ISSUE", _SORT, 150)],
    ),
    (
        "LP00000000000011",
        ON_TRACK,
        "not yet due, but still flying with too few days left: at risk",
        "CHOICE_9",
        "28013",
        "Madrid",
        170,
        _trunk_until("LH_DEPART", {"CC_EX_START": 80, "CC_EX_SUCCESS": 95, "LH_DEPART": 110}),
    ),
)
SHOWCASE_NUMBERS = tuple(spec[0] for spec in _SHOWCASE)


def showcase(now: datetime, engine: Engine | None = None) -> list[Showcase]:
    """(Re)write the showcase shipments relative to ``now``: one per outcome, same numbers every time."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC).replace(microsecond=0)
    policy = current_policy()
    codes = event_codes()
    result = []
    with session_scope(engine) as session:
        old = select(Shipment.id).where(Shipment.tracking_number.in_(SHOWCASE_NUMBERS))
        session.execute(delete(TrackingEvent).where(TrackingEvent.shipment_id.in_(old)))
        session.execute(delete(Shipment).where(Shipment.tracking_number.in_(SHOWCASE_NUMBERS)))
        customer = session.scalars(
            select(Customer).where(Customer.phone == SHOWCASE_CUSTOMER["phone"]).order_by(Customer.id).limit(1)
        ).first()
        if customer is None:
            customer = Customer(**SHOWCASE_CUSTOMER, created_at=now - timedelta(days=400))
            session.add(customer)
        shipments = []
        for number, outcome, description, product_code, postal_code, city, paid_hours, steps in _SHOWCASE:
            if product_code not in policy.products:
                product_code = next(iter(policy.products))
            product = policy.products[product_code]
            market = policy.markets[product.market]
            paid_at = now - timedelta(hours=paid_hours)
            deadline = deadline_for(paid_at, product, market, postal_code)
            shipment = Shipment(
                tracking_number=number,
                order_ref=f"SHOWCASE-{number}",
                customer=customer,
                product_code=product_code,
                market_code=market.code,
                origin_country="CN",
                destination_postal_code=postal_code,
                destination_city=city,
                paid_at=paid_at,
                promised_date=deadline.promised_date,
                deadline_at=deadline.ends_at,
                created_at=paid_at + timedelta(minutes=3),
            )
            session.add(shipment)
            hub = HUBS[0] if city != "Barcelona" else HUBS[1]
            places = (ORIGINS[0], HONG_KONG, hub[0], hub[1], f"{city}, ES", HONG_KONG)
            for n, (code, slot, hours) in enumerate(steps, start=1):
                known = codes[code]
                occurred = paid_at + timedelta(hours=hours)
                session.add(
                    TrackingEvent(
                        event_id=f"showcase-{number}-{n:02d}",
                        shipment=shipment,
                        code=code,
                        stage=int(known.stage),
                        kind=str(known.kind),
                        occurred_at=occurred,
                        location=places[slot],
                        received_at=min(occurred + timedelta(minutes=4), now),
                    )
                )
            shipments.append(shipment)
            result.append(Showcase(number, outcome, description))
        session.flush()
        queries.refresh_progress(session, [s.id for s in shipments], now)
    return result
