"""The converter's decoding rules: lenient on value types, strict on structure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import cattrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callsavvy_async._convert import converter
from callsavvy_async.models import AccountSummary, Call, SendResult, TicketMessage


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("false", False), ("TRUE", True), (True, True), (0, False), ("1", True)],
)
def test_booleans(raw: object, expected: bool) -> None:
    message = converter.structure({"conversation_id": "c", "from_agent": raw}, TicketMessage)
    assert message.from_agent is expected


@pytest.mark.parametrize("raw", ["maybe", 2, [], {}])
def test_bad_boolean_is_rejected(raw: object) -> None:
    with pytest.raises(cattrs.BaseValidationError):
        converter.structure({"conversation_id": "c", "from_agent": raw}, TicketMessage)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("184", 184),
        (184, 184),
        ("12.0", 12),
        (7.0, 7),
        (" 184 ", 184),
        ("+7", 7),
        ("-3", -3),
        ("", None),
        (None, None),
    ],
)
def test_whole_numbers(raw: object, expected: int | None) -> None:
    assert converter.structure({"call_id": "c", "duration": raw}, Call).duration == expected


@pytest.mark.parametrize("raw", ["12.5", "ten", True, [1]])
def test_bad_whole_numbers_are_rejected(raw: object) -> None:
    with pytest.raises(cattrs.BaseValidationError):
        converter.structure({"call_id": "c", "duration": raw}, Call)


@pytest.mark.parametrize(
    ("raw", "expected"), [("4", "4"), (4, "4"), (0.1, "0.1"), ("12.50", "12.50")]
)
def test_cost_is_decimal(raw: object, expected: str) -> None:
    assert converter.structure({"cost": raw}, SendResult).cost == Decimal(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("+4420", "+4420"), ("", None), (None, None), (4420, "4420"), (True, "true")],
)
def test_optional_strings(raw: object, expected: str | None) -> None:
    assert converter.structure({"assigned_number": raw}, AccountSummary).assigned_number == expected


@pytest.mark.parametrize("raw", [{}, ["+4420"]])
def test_optional_string_of_the_wrong_shape_is_rejected(raw: object) -> None:
    with pytest.raises(cattrs.BaseValidationError):
        converter.structure({"assigned_number": raw}, AccountSummary)


def test_empty_strings_are_none() -> None:
    summary = converter.structure({"assigned_number": "", "sms_balance": ""}, AccountSummary)
    assert summary.assigned_number is None
    assert summary.sms_balance is None


def test_timestamps() -> None:
    call = converter.structure({"call_id": "c", "datetime": "2024-03-13 15:00:48"}, Call)
    assert call.datetime == dt.datetime(2024, 3, 13, 15, 0, 48)
    with pytest.raises(cattrs.BaseValidationError):
        converter.structure({"call_id": "c", "datetime": "13/03/2024"}, Call)


def test_files_list_as_string_or_list() -> None:
    raw = {"conversation_id": "c", "files": " https://a/1.png , ,https://a/2.png"}
    assert converter.structure(raw, TicketMessage).files == ("https://a/1.png", "https://a/2.png")
    raw_list = {"conversation_id": "c", "files": ["https://a/1.png"]}
    assert converter.structure(raw_list, TicketMessage).files == ("https://a/1.png",)


def test_object_where_a_string_belongs_is_rejected() -> None:
    with pytest.raises(cattrs.BaseValidationError):
        converter.structure({"call_id": {"nested": 1}}, Call)


def test_a_record_without_its_id_decodes_with_an_empty_id() -> None:
    assert converter.structure({"duration": "3"}, Call) == Call(call_id="", duration=3)


def test_unknown_fields_are_kept_and_do_not_affect_equality() -> None:
    call = converter.structure({"call_id": "c", "tags": ["vip"], "score": 3}, Call)
    assert call.extra == {"tags": ["vip"], "score": 3}
    assert call == Call(call_id="c")
    assert "tags" not in repr(call)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(min_size=1), st.text() | st.integers() | st.none()))
def test_arbitrary_unknown_keys_never_break_decoding(extra: dict[str, object]) -> None:
    known = {"status", "message_id", "cost"}
    payload = {k: v for k, v in extra.items() if k not in known}
    result = converter.structure({"status": "sent", **payload}, SendResult)
    assert result.status == "sent"
    assert dict(result.extra) == payload


@pytest.mark.parametrize("raw", ["1e100000", "Infinity", "NaN", "-inf", "1" * 5000])
def test_whole_numbers_too_large_or_not_finite_are_rejected(raw: str) -> None:
    with pytest.raises(cattrs.BaseValidationError):
        converter.structure({"call_id": "c", "duration": raw}, Call)
