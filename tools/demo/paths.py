"""The outcomes a demo shipment is drawn to, and the event paths that lead to each (Cainiao, UPU or both)."""

from __future__ import annotations

from collections.abc import Callable

from parcels.stages import EventKind, event_codes
from parcels.status import Progress

HOUR = 3600
DAY = 86400

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
AT_ORIGIN, AT_EXPORT, AT_HUB, AT_SORT, AT_DEST, AT_TRANSIT = range(6)

# A step: (code, stage, kind, place slot, least gap from the previous event in seconds, gap spread, probability)
Step = tuple[str, int, str, int, int, int, float]


def _step(code: str, slot: int, lo_hours: float, hi_hours: float, p: float = 1.0) -> Step:
    known = event_codes()[code]  # a typo here fails at import, not in the middle of a load
    return (code, int(known.stage), str(known.kind), slot, int(lo_hours * HOUR), int((hi_hours - lo_hours) * HOUR), p)


_CAINIAO_CHINA = (
    _step("PU_PICKUP_SUCCESS", AT_ORIGIN, 4, 40),
    _step("GWMS_ACCEPT", AT_ORIGIN, 1, 8, 0.5),
    _step("GWMS_OUTBOUND", AT_ORIGIN, 3, 20),
    _step("SC_INBOUND_SUCCESS", AT_ORIGIN, 2, 12),
    _step("SC_OUTBOUND_SUCCESS", AT_ORIGIN, 3, 18, 0.6),
    _step("CC_EX_START", AT_EXPORT, 3, 20),
    _step("CC_EX_SUCCESS", AT_EXPORT, 2, 30),
    _step("LH_HO_IN_SUCCESS", AT_EXPORT, 3, 20, 0.4),
    _step("LH_DEPART", AT_EXPORT, 4, 36),
    _step("LH_ARRIVE", AT_HUB, 13, 30),
)
_CAINIAO_SPAIN = (
    _step("CC_HO_IN_SUCCESS", AT_HUB, 1, 10, 0.4),
    _step("CC_IM_START", AT_HUB, 2, 20),
    _step("CC_IM_SUCCESS", AT_HUB, 3, 40),
    _step("GTMS_ACCEPT", AT_SORT, 2, 20),
    _step("GTMS_SC_ARRIVE", AT_SORT, 4, 30, 0.5),
    _step("GTMS_SC_DEPART", AT_SORT, 2, 16),
    _step("GTMS_DO_ARRIVE", AT_DEST, 6, 30),
)
_UPU_CHINA = (
    _step("EMA", AT_ORIGIN, 6, 48),
    _step("EMB", AT_ORIGIN, 4, 30),
    _step("EXA", AT_EXPORT, 3, 20),
    _step("EXC", AT_EXPORT, 2, 30, 0.5),
    _step("EMC", AT_EXPORT, 4, 36),
)
_UPU_VIA_HONG_KONG = (_step("EMJ", AT_TRANSIT, 3, 10), _step("EMK", AT_TRANSIT, 4, 20))
_UPU_SPAIN = (
    _step("EMD", AT_HUB, 13, 30),
    _step("EDB", AT_HUB, 1, 12, 0.6),
    _step("EDC", AT_HUB, 3, 40),
    _step("EMF", AT_HUB, 2, 20),
    _step("EDD", AT_SORT, 4, 24, 0.5),
    _step("EDE", AT_SORT, 2, 12, 0.5),
    _step("EMG", AT_DEST, 6, 30),
)

CAINIAO, UPU, HYBRID = 0, 1, 2  # event code systems: Cainiao end to end, postal (UPU) end to end, Cainiao then Correos
TRUNKS: dict[int, tuple[tuple[Step, ...], ...]] = {
    CAINIAO: (_CAINIAO_CHINA + _CAINIAO_SPAIN,),
    UPU: (_UPU_CHINA + _UPU_SPAIN, _UPU_CHINA + _UPU_VIA_HONG_KONG + _UPU_SPAIN),
    HYBRID: (_CAINIAO_CHINA + _UPU_SPAIN,),
}
TRUNK_MEANS = {
    id(trunk): sum((lo + span / 2) * p for _, _, _, _, lo, span, p in trunk)
    for trunks in TRUNKS.values()
    for trunk in trunks
}
# Where a customs hold interrupts the trunk: (the code the hold follows, the hold code, weight)
HOLDS: dict[int, tuple[tuple[str, str, int], ...]] = {
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
TAILS = {
    system: {
        name: tuple(_step(roles[r], AT_DEST, lo, hi) for r, lo, hi in shape) for name, shape in _TAIL_SHAPES.items()
    }
    for system, roles in _ROLES.items()
}
DELIVERED_TAILS = (
    ("delivered", 80),
    ("failed_delivered", 7),
    ("pickup_collected", 11),
    ("failed_pickup_collected", 2),
)
PICKUP_TAILS = (("pickup", 6), ("failed_pickup", 4))
ATTEMPT_KINDS = frozenset({str(EventKind.ATTEMPT_FAILED), str(EventKind.DELIVERED)})


def pick(rnd: Callable[[], float], weighted: tuple[tuple[str, int], ...]) -> str:
    x = rnd() * sum(w for _, w in weighted)
    for name, w in weighted:
        x -= w
        if x < 0:
            return name
    return weighted[-1][0]


def pick_hold(rnd: Callable[[], float], holds: tuple[tuple[str, str, int], ...]) -> tuple[str, str, int]:
    x = rnd() * sum(h[2] for h in holds)
    for hold in holds:
        x -= hold[2]
        if x < 0:
            return hold
    return holds[-1]


_HOLD_STEPS = {
    code: _step(code, AT_EXPORT if code.startswith(("EX", "CC_EX")) else AT_HUB, 2, 24)
    for code in ("CC_IM_HOLD", "CC_EX_HOLD", "EXB")
}


def hold_step(code: str) -> Step:
    return _HOLD_STEPS[code]
