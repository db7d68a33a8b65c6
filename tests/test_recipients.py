"""Phone-number normalisation and recipient sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callsavvy_async import InvalidRequestError
from callsavvy_async.recipients import (
    InvalidNumberError,
    iter_recipients,
    normalise_number,
    recipient_list,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+447989987123", "+447989987123"),
        ("+44 7989 987123", "+447989987123"),
        ("0044-7989-987.123", "+447989987123"),
        ("(+234) 801 234 5678", "+2348012345678"),
        ("+2240099887", "+2240099887"),
        (" +1 888 777 6660 ", "+18887776660"),
    ],
)
def test_normalises_to_e164(raw: str, expected: str) -> None:
    assert normalise_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("07989987123", "must start with +"),
        ("+44 79x9", "digits"),
        ("+4412", "8 to 15 digits"),
        ("+1234567890123456", "8 to 15 digits"),
        ("+0447989987123", "first not 0"),
    ],
)
def test_rejects_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNumberError, match=reason) as info:
        normalise_number(raw)
    assert isinstance(info.value, InvalidRequestError)
    assert info.value.number == raw


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_valid_numbers_survive_formatting(number: str) -> None:
    spaced = " ".join(number[i : i + 3] for i in range(0, len(number), 3))
    assert normalise_number(spaced) == number
    assert normalise_number("00" + number[1:]) == number


def test_recipient_list_drops_repeats_in_order() -> None:
    assert recipient_list("+447989987123, +447989987124,0044 7989 987123") == [
        "+447989987123",
        "+447989987124",
    ]
    with pytest.raises(InvalidRequestError):
        recipient_list([])


async def collect(source: object) -> list[str]:
    return [item async for item in iter_recipients(source)]  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_csv_column_by_header(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("Name,Recipient,Notes\nAda,+447989987123,vip\nBob,,none\nCy,+447989987124,\n")
    assert await collect(path) == ["+447989987123", "+447989987124"]


@pytest.mark.anyio
async def test_csv_without_known_header_uses_first_column(tmp_path: Path) -> None:
    with_header = tmp_path / "a.csv"
    with_header.write_text("mobile,name\n+447989987123,Ada\n")
    without_header = tmp_path / "b.csv"
    without_header.write_text("+447989987123,Ada\n+447989987124,Bob\n")
    assert await collect(with_header) == ["+447989987123"]
    assert await collect(without_header) == ["+447989987123", "+447989987124"]


@pytest.mark.anyio
async def test_large_text_file_is_read_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "numbers.txt"
    expected = [f"+4479{n:08d}" for n in range(5_000)]
    path.write_text("\n".join(expected))
    assert await collect(path) == expected


@pytest.mark.anyio
async def test_strings_split_on_commas() -> None:
    assert await collect("+447989987123, +447989987124,") == ["+447989987123", " +447989987124"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"+447989987123\n+44798998\xe97124\n", 2),
        (b"phone\r\n" + b"+447989987123\r\n" * 3_000 + b"\xff\r\n", 3_002),
        (b"+447989987123\n+4479899871\xc3", 2),
        (b"\x00\x80" * 10, 1),
    ],
    ids=["bad-byte", "deep", "truncated-at-end", "binary"],
)
async def test_undecodable_file_names_the_line(tmp_path: Path, content: bytes, line: int) -> None:
    path = tmp_path / "numbers.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidRequestError, match=f"line {line} is not UTF-8") as info:
        await collect(path)
    assert str(path) in str(info.value)


@pytest.mark.anyio
async def test_malformed_csv_line_is_named_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    huge = "7" * 200_000
    path.write_text(f"phone\n+447989987123\n{huge}\n")
    with pytest.raises(InvalidRequestError, match="line 3 is not valid CSV") as info:
        await collect(path)
    assert huge[:100] not in str(info.value)
