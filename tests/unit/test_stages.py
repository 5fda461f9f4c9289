import pytest

from parcels.stages import EventKind, Stage, UnknownEventCode, event_codes, lookup


@pytest.mark.parametrize(
    ("code", "stage"),
    [
        ("EMA", Stage.COLLECTION),
        ("EMB", Stage.ORIGIN_SORTING),
        ("EXA", Stage.EXPORT_CUSTOMS),
        ("EMC", Stage.LINE_HAUL),
        ("EDB", Stage.IMPORT_CUSTOMS),
        ("EDD", Stage.DESTINATION_SORTING),
        ("EMI", Stage.LAST_MILE),
        ("PU_PICKUP_SUCCESS", Stage.COLLECTION),
        ("SC_OUTBOUND_SUCCESS", Stage.ORIGIN_SORTING),
        ("CC_EX_START", Stage.EXPORT_CUSTOMS),
        ("LH_DEPART", Stage.LINE_HAUL),
        ("CC_IM_SUCCESS", Stage.IMPORT_CUSTOMS),
        ("GTMS_SC_ARRIVE", Stage.DESTINATION_SORTING),
        ("GTMS_SIGNED", Stage.LAST_MILE),
    ],
)
def test_upu_and_carrier_codes_map_to_the_seven_stages(code: str, stage: Stage) -> None:
    assert lookup(code).stage is stage


def test_every_stage_has_codes_of_both_systems() -> None:
    for stage in Stage:
        systems = {c.system for c in event_codes().values() if c.stage is stage}
        assert systems >= {"upu", "cainiao"}, stage


def test_a_station_signing_is_not_a_delivery() -> None:
    assert lookup("GTMS_STA_SIGNED").kind is EventKind.AT_PICKUP_POINT
    assert lookup("GTMS_SIGNED").kind is EventKind.DELIVERED
    assert lookup("EMI").kind is EventKind.DELIVERED
    assert lookup("EMH").kind is EventKind.ATTEMPT_FAILED


def test_codes_are_case_insensitive_and_unknown_ones_are_refused() -> None:
    assert lookup(" emi ").code == "EMI"
    with pytest.raises(UnknownEventCode, match="XYZ"):
        lookup("XYZ")
