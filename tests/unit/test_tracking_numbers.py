import pytest

from parcels.tracking_numbers import Problem, find_tracking_numbers, make_s10, s10_check_digit, validate


@pytest.mark.parametrize(
    ("serial", "check"),
    [("12345678", 5), ("00000001", 4), ("02000000", 0), ("00000000", 5), ("47312482", 9)],
)
def test_s10_check_digit(serial: str, check: int) -> None:
    assert s10_check_digit(serial) == check


def test_check_digit_rejects_a_serial_of_the_wrong_shape() -> None:
    with pytest.raises(ValueError):
        s10_check_digit("1234567")


def test_numbers_are_found_in_free_text_and_normalised() -> None:
    found = find_tracking_numbers("¿dónde está mi paquete lp 0001-2345-6789-01? y el rr 123 456 785 cn")
    assert [c.number for c in found] == ["LP00012345678901", "RR123456785CN"]
    assert all(c.valid for c in found)


def test_a_wrong_check_digit_is_reported_not_dropped() -> None:
    [candidate] = find_tracking_numbers("where is RR123456784CN")
    assert candidate.number == "RR123456784CN"
    assert candidate.problem is Problem.CHECK_DIGIT


@pytest.mark.parametrize("text", ["LP0001234567890", "mi pedido es RR12345678CN", "LP000123456789012"])
def test_a_number_of_the_wrong_length_is_reported(text: str) -> None:
    [candidate] = find_tracking_numbers(text)
    assert candidate.problem is Problem.LENGTH


def test_repeats_are_answered_once_in_order() -> None:
    found = find_tracking_numbers("LP00012345678902, LP00012345678901 y otra vez LP00012345678902")
    assert [c.number for c in found] == ["LP00012345678902", "LP00012345678901"]


@pytest.mark.parametrize("text", ["hola", "mi código postal es 28013", "pedido 123456789", "", "ES 2026 CN"])
def test_text_without_numbers(text: str) -> None:
    assert find_tracking_numbers(text) == []


def test_make_s10_builds_valid_numbers() -> None:
    number = make_s10("RR", 12345678, "CN")
    assert number == "RR123456785CN"
    assert validate(number).valid


def test_validate_one_number() -> None:
    assert validate(" rr123456785cn ").number == "RR123456785CN"
    assert not validate("hello").valid
