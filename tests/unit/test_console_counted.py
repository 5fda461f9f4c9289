"""What the console's privacy page says it found or erased: one of a kind in the singular, nothing as 'nothing'."""

from web.console.privacy import counted


def test_one_of_a_kind_reads_in_the_singular_and_more_in_the_plural() -> None:
    phrase = counted({"shipments": 2, "claims_kept_without_the_person": 1, "conversation_days": 1, "customers": 1})
    assert phrase == "1 claim kept without the person · 1 conversation day · 1 customer · 2 shipments"


def test_nothing_found_reads_as_nothing() -> None:
    assert counted({}) == "nothing"
