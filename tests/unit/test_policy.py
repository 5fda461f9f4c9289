from pathlib import Path

import pytest

from parcels.policy import DEFAULT_POLICY_FILE, LeadTimeUnit, PolicyError, load_policy


def test_the_shipped_policy_loads() -> None:
    policy = load_policy(DEFAULT_POLICY_FILE)
    spain = policy.markets["ES"]
    assert spain.currency == "EUR"
    assert spain.zone_for("38001").key == "Atlantic/Canary"
    assert spain.zone_for("07001").key == "Europe/Madrid"
    assert spain.region_for("08001") == "CT"
    assert policy.products["CHOICE_9"].lead_time.unit is LeadTimeUnit.CALENDAR_DAYS
    assert {p.market for p in policy.products.values()} == {"ES"}


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (("Europe/Madrid", "Europe/Nowhere"), "markets.ES.time_zone"),
        (("days: 9, unit: calendar_days", "days: 9, unit: fortnights"), "products.CHOICE_9.lead_time.unit"),
        (
            ('    market: ES\n    name: {es: "Premium"', '    market: FR\n    name: {es: "Premium"'),
            "unknown market 'FR'",
        ),
        (('"28": MD', '"28": XX'), "regions without a holiday calendar: XX"),
        (("currency: EUR", "currency: euros"), "markets.ES.currency"),
        (
            ('{days_late: 4, form: coupon, amount: "3.00"}', '{days_late: 4, form: coupon, amount: "0.50"}'),
            "products.CHOICE_9.compensation.tiers: Value error, a later tier pays less (0.50 after 1.00)",
        ),
        (
            ('{days_late: 4, form: coupon, amount: "3.00"}', '{days_late: 1, form: coupon, amount: "3.00"}'),
            "tiers must be in increasing days_late order",
        ),
        (('{days_late: 1, form: coupon, amount: "1.00"}', '{days_late: 1, form: voucher, amount: "1.00"}'), "form"),
        (('amount: "1.00"}', 'amount: "1.001"}'), "products.CHOICE_9.compensation.tiers.0.amount"),
        (("grant: automatic", "grant: sometimes"), "products.CHOICE_9.compensation.grant"),
        (("claim_window_days: 30", "claim_window_days: 0"), "products.CHOICE_9.compensation.claim_window_days"),
        (
            ("{1: 1, 2: 0.5, 3: 0.5, 4: 3, 5: 1, 6: 1, 7: 1}", "{1: 1, 2: 0.5}"),
            "give a typical duration for each stage",
        ),
        (("last_day: 2024-11-15", "last_day: 2024-10-01"), "last_day 2024-10-01 is before first_day 2024-10-29"),
    ],
)
def test_a_bad_policy_names_the_file_the_field_and_the_reason(
    tmp_path: Path, mutation: tuple[str, str], message: str
) -> None:
    text = DEFAULT_POLICY_FILE.read_text()
    assert mutation[0] in text
    bad = tmp_path / "policy.yml"
    bad.write_text(text.replace(mutation[0], mutation[1], 1))
    with pytest.raises(PolicyError) as error:
        load_policy(bad)
    assert str(bad) in str(error.value)
    assert message in str(error.value)


def test_unreadable_policy(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yml"
    bad.write_text("markets: [unclosed")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(bad)


def test_the_shipped_policy_has_compensation_for_every_product() -> None:
    policy = load_policy(DEFAULT_POLICY_FILE)
    for product in policy.products.values():
        tiers = product.compensation.tiers
        assert tiers[0].days_late >= 1
        assert [t.amount for t in tiers] == sorted(t.amount for t in tiers)
        assert product.compensation.tier_for(0) is None
        assert product.compensation.tier_for(tiers[-1].days_late + 100) == tiers[-1]
