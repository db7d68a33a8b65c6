"""Widget snippets: the vendor's markup with inputs filled in and escaped."""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote

import pytest

from callsavvy_async import embed
from callsavvy_async._errors import InvalidRequestError

KEY = "pk_live_123"


def script_src(snippet: str) -> str:
    match = re.search(r"s1\.src='([^']*)'", snippet)
    assert match, snippet
    return match.group(1)


def test_theme_param_matches_the_vendor_example() -> None:
    assert embed.theme_param("green") == "Z3JlZW4%3D"
    assert base64.b64decode(unquote(embed.theme_param("dark blue"))) == b"dark blue"


@pytest.mark.parametrize("widget", ["chat", "video", "calendar", "ticket"])
def test_loader_points_at_the_widget(widget: str) -> None:
    snippet = embed.WIDGETS[widget](KEY, color="green")
    assert script_src(snippet) == f"https://plugin.getcallsavvy.com/{widget}/{KEY}?p&c=Z3JlZW4%3D"
    assert snippet.count("<script") == snippet.count("</script>") == 1


def test_ticket_widget_has_its_holder() -> None:
    snippet = embed.ticket_widget(KEY)
    assert f'<div id="callservy_ticket_widget_holder{KEY}"></div>' in snippet


def test_call_button_with_department_and_numbers() -> None:
    snippet = embed.call_button(
        KEY, department_uid="dpt 1", number_to_call="+447989987123", displayed_caller_id="+2341"
    )
    assert (
        script_src(snippet)
        == f"https://plugin.getcallsavvy.com/call/{KEY}?p&d=dpt%201&c=Z3JlZW4%3D"
    )
    assert 'id="callservy_call_button"' in snippet
    assert 'number_to_call="+447989987123"' in snippet
    assert 'displayed_caller_id="+2341"' in snippet
    assert ">Call</button>" in snippet


def test_call_button_omits_unset_attributes() -> None:
    snippet = embed.call_button(KEY)
    assert "number_to_call" not in snippet
    assert "displayed_caller_id" not in snippet


@pytest.mark.parametrize(
    "hostile", ["'</script><script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
)
def test_inputs_cannot_break_out(hostile: str) -> None:
    snippets = [
        embed.chat_widget(hostile, color=hostile),
        embed.ticket_widget(hostile, color=hostile),
        embed.call_button(
            hostile,
            department_uid=hostile,
            number_to_call=hostile,
            displayed_caller_id=hostile,
            label=hostile,
        ),
    ]
    for snippet in snippets:
        assert snippet.count("<script") == 1
        assert "<img" not in snippet
        assert "alert(1)</script>" not in snippet
        assert "'</script>" not in snippet
        assert len(re.findall(r"s1\.src='[^']*';", snippet)) == 1


@pytest.mark.parametrize("bad", ["", "   "])
def test_missing_key_or_colour_is_an_error(bad: str) -> None:
    with pytest.raises(ValueError, match="public_key"):
        embed.chat_widget(bad)
    with pytest.raises(ValueError, match="color"):
        embed.chat_widget(KEY, color=bad)


# Every builder with every parameter: (builder, parameter, may be None, may be blank).
PARAMETERS = [
    ("call", "public_key", False, False),
    ("call", "department_uid", False, True),
    ("call", "color", False, False),
    ("call", "number_to_call", True, True),
    ("call", "displayed_caller_id", True, True),
    ("call", "label", False, False),
    *(
        (widget, parameter, False, False)
        for widget in ("ticket", "chat", "video", "calendar")
        for parameter in ("public_key", "color")
    ),
]
BAD_CASES = [
    pytest.param(widget, parameter, bad, id=f"{widget}-{parameter}-{bad_id}")
    for widget, parameter, none_ok, blank_ok in PARAMETERS
    for bad_id, bad in [
        ("none", None),
        ("int", 5),
        ("bytes", b"x"),
        ("list", ["x"]),
        ("empty", ""),
        ("spaces", "   "),
        ("surrogate", "\ud800"),
        ("long-surrogate", "x" * 500 + "\udfff"),
    ]
    if not (bad is None and none_ok) and not (bad in ("", "   ") and blank_ok)
]


def build(widget: str, parameter: str, value: object) -> str:
    if parameter == "public_key":
        return embed.WIDGETS[widget](value)
    return embed.WIDGETS[widget](KEY, **{parameter: value})


@pytest.mark.parametrize(("widget", "parameter", "bad"), BAD_CASES)
def test_every_bad_argument_is_a_typed_error(widget: str, parameter: str, bad: object) -> None:
    with pytest.raises(InvalidRequestError, match=parameter) as caught:
        build(widget, parameter, bad)
    assert "x" * 50 not in str(caught.value)


@pytest.mark.parametrize("bad", [None, 5, b"x", "", "   ", "\ud800"])
def test_theme_param_rejects_bad_colours(bad: object) -> None:
    with pytest.raises(InvalidRequestError, match="color"):
        embed.theme_param(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("widget", "parameter", "none_ok", "blank_ok"), PARAMETERS)
def test_unicode_text_is_accepted_and_round_trips(
    widget: str, parameter: str, none_ok: bool, blank_ok: bool
) -> None:
    text = "Café ☕ 😀"
    snippet = build(widget, parameter, text)
    snippet.encode("utf-8")
    src = script_src(snippet)
    if parameter == "public_key":
        assert unquote(src.split("/")[4].split("?")[0]) == text
    elif parameter == "color":
        assert base64.b64decode(unquote(src.split("c=")[1])).decode() == text
    elif parameter == "department_uid":
        assert unquote(src.split("d=")[1].split("&")[0]) == text
    elif parameter == "label":
        assert f">{text}</button>" in snippet
    else:
        assert f'{parameter}="{text}"' in snippet
