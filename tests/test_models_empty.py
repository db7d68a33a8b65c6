"""Every field of every model: JSON null, "" and a missing key decode alike, as the field's
empty value; a value of the right shape sent as a string decodes to its Python type."""

from __future__ import annotations

import datetime as dt
import types
import typing
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callsavvy_async import models
from callsavvy_async._convert import EXTRA_FIELD, converter

MODELS = [attrs.resolve_types(getattr(models, name)) for name in models.__all__]
FIELDS = [
    (model, field) for model in MODELS for field in attrs.fields(model) if field.name != EXTRA_FIELD
]
IDS = [f"{model.__name__}.{field.name}" for model, field in FIELDS]


def _inner(type_: Any) -> Any:
    """The type without `| None`."""
    if typing.get_origin(type_) in (typing.Union, types.UnionType):
        return next(arg for arg in typing.get_args(type_) if arg is not type(None))
    return type_


def _empty(type_: Any) -> Any:
    inner = _inner(type_)
    if inner == tuple[str, ...]:
        return ()
    return "" if type_ is str else None


def _as_string(type_: Any) -> st.SearchStrategy[tuple[str, Any]]:
    """(the value as the API might send it as a string, the value it decodes to)."""
    inner = _inner(type_)
    if inner is str:
        text = st.text(min_size=1).filter(lambda t: t.strip() == t and t.isprintable())
        return text.map(lambda t: (t, t))
    if inner is int:
        return st.integers(0, 10**12).map(lambda n: (str(n), n))
    if inner is bool:
        return st.sampled_from([("true", True), ("false", False)])
    if inner is Decimal:
        return st.decimals(allow_nan=False, allow_infinity=False, places=3).map(
            lambda d: (str(d), d)
        )
    if inner is dt.datetime:
        moments = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31))
        return moments.map(lambda m: m.replace(microsecond=0)).map(
            lambda m: (m.strftime("%Y-%m-%d %H:%M:%S"), m)
        )
    if inner == tuple[str, ...]:
        urls = st.lists(st.from_regex(r"https://[a-z]{1,8}\.test/[a-z0-9]{1,8}", fullmatch=True))
        return urls.map(lambda u: (",".join(u), tuple(u)))
    raise AssertionError(f"no strategy for {type_}")


@pytest.mark.parametrize(("model", "field"), FIELDS, ids=IDS)
@pytest.mark.parametrize("absent", ["null", "empty", "missing"])
def test_null_empty_and_missing_decode_alike(model: Any, field: Any, absent: str) -> None:
    payload: dict[str, Any] = (
        {} if absent == "missing" else {field.name: "" if absent == "empty" else None}
    )
    decoded = converter.structure(payload, model)
    assert getattr(decoded, field.name) == _empty(field.type)
    assert dict(decoded.extra) == {}


@pytest.mark.parametrize(("model", "field"), FIELDS, ids=IDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_a_value_sent_as_a_string_decodes(model: Any, field: Any, data: st.DataObject) -> None:
    sent, expected = data.draw(_as_string(field.type))
    decoded = converter.structure({field.name: sent}, model)
    assert getattr(decoded, field.name) == expected


def test_a_ticket_message_whose_files_are_null_decodes() -> None:
    message = converter.structure({"conversation_id": "c1", "files": None}, models.TicketMessage)
    assert message.files == ()
