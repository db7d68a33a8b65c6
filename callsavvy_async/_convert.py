"""The one cattrs converter: lenient on value types, strict on structure.

The API sends numbers as strings, booleans as "true"/"false", empty strings for absent
values and comma-joined URL lists; these hooks turn all of that into Python types while
refusing values of the wrong shape (an object where a string belongs).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

__all__ = ["EXTRA_FIELD", "converter", "parse_datetime", "structure_model"]

_T = TypeVar("_T")

EXTRA_FIELD = "extra"
_MAX_DIGITS = 4300  # as Python's int(str) limit: beyond it int() of a Decimal takes minutes
_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _structure_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError(f"expected a boolean, got {value!r}")


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool):
        raise TypeError("expected a whole number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdecimal() and value.isascii():
        return int(value)
    if isinstance(value, str | float | Decimal):
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        whole = number.is_finite() and number == number.to_integral_value()
        if whole and number.adjusted() < _MAX_DIGITS:
            return int(number)
    raise ValueError(f"expected a whole number, got {_short(value)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _structure_decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValueError(f"expected a number, got {_short(value)}") from None
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"expected a finite number, got {_short(value)}")
    return number


def parse_datetime(value: str) -> dt.datetime:
    """Parse the API's "YYYY-MM-DD HH:MM:SS" (ISO 8601 forms and bare dates also pass)."""
    try:
        return dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"expected a 'YYYY-MM-DD HH:MM:SS' timestamp, got {value!r}") from None


def _structure_datetime(value: Any, _: type) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return parse_datetime(value)
    raise TypeError(f"expected a timestamp string, got {type(value).__name__}")


def _structure_str_tuple(value: Any, _: type) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in (p.strip() for p in value.split(",")) if part)
    if isinstance(value, list | tuple):
        return tuple(_structure_str(item, str) for item in value if item != "")
    raise TypeError(f"expected a comma-separated string or a list, got {type(value).__name__}")


def _is_optional(type_: Any) -> bool:
    args = typing.get_args(type_)
    return (
        typing.get_origin(type_) in (typing.Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
    )


def _optional_hook(type_: Any) -> Callable[[Any, Any], Any]:
    inner = next(arg for arg in typing.get_args(type_) if arg is not type(None))
    if inner is str:
        return _structure_optional_str
    if inner is int:
        return _structure_optional_int
    structure_inner = converter.get_structure_hook(inner)

    def structure_optional(value: Any, _: Any) -> Any:
        if value is None or value == "":
            return None
        return structure_inner(value, inner)

    return structure_optional


def _structure_optional_str(value: Any, _: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    return None if value is None else _structure_str(value, str)


def _structure_optional_int(value: Any, _: Any) -> int | None:
    if value is None or value == "":
        return None
    return _structure_int(value, int)


def _has_extra(cls: Any) -> bool:
    return attrs.has(cls) and EXTRA_FIELD in attrs.fields_dict(cls)


def _model_hook(cls: Any) -> Callable[[Any, Any], Any]:
    """Structure a model from a JSON object, keeping unknown keys in its `extra` mapping."""
    known = frozenset(a.name for a in attrs.fields(cls)) - {EXTRA_FIELD}
    structure_known = make_dict_structure_fn(cls, converter, extra=override(omit=True))

    def structure_model(value: Any, _: Any) -> Any:
        if not isinstance(value, dict) and not isinstance(value, Mapping):  # dict: no ABC check
            raise TypeError(
                f"expected a JSON object for {cls.__name__}, got {type(value).__name__}"
            )
        obj = structure_known(value, cls)
        if not known.issuperset(value):
            object.__setattr__(obj, EXTRA_FIELD, {k: v for k, v in value.items() if k not in known})
        return obj

    return structure_model


converter = cattrs.Converter(detailed_validation=True)
converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(Decimal, _structure_decimal)
converter.register_structure_hook(dt.datetime, _structure_datetime)
converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _structure_str_tuple)
converter.register_structure_hook_factory(_is_optional, _optional_hook)
converter.register_structure_hook_factory(_has_extra, _model_hook)


def structure_model(value: Any, cls: type[_T]) -> _T:
    """Decode `value` into `cls` with the shared converter."""
    return converter.structure(value, cls)
