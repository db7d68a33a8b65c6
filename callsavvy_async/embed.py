"""HTML snippets for the five embeddable Callsavvy widgets.

Each builder returns the markup from the vendor's integration guide with the public key,
department and theme filled in. Values in the script address are percent-encoded (script
text is not HTML-decoded, so no entities there) and values in attributes are HTML-escaped,
so no input can break out of the snippet. Every argument is checked first: anything but
text (or None where None means "absent"), a lone surrogate, or a blank required value is an
InvalidRequestError naming the parameter.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from urllib.parse import quote

from callsavvy_async._errors import InvalidRequestError

__all__ = [
    "PLUGIN_BASE_URL",
    "THEME_COLOURS",
    "WIDGETS",
    "calendar_widget",
    "call_button",
    "chat_widget",
    "theme_param",
    "ticket_widget",
    "video_widget",
]

PLUGIN_BASE_URL = "https://plugin.getcallsavvy.com"
THEME_COLOURS = ("green", "blue", "red", "orange", "purple", "black")
"""Theme colour names the `callsavvy embed` command offers ("green" is the vendor's example)."""

_LOADER = """<script type="text/javascript">
(function(){{
var s1=document.createElement("script"),s0=document.getElementsByTagName("script")[0];
s1.async=true;
s1.src='{src}';
s1.charset='UTF-8';
s1.setAttribute('crossorigin','*');
s0.parentNode.insertAdjacentElement("beforeend", s1);
}})();
</script>"""

_SURROGATE = re.compile("[\ud800-\udfff]")
_NO_KEY = "public_key is required"
_NO_COLOUR = "color must be a colour name such as 'green'"
_NO_LABEL = "label must be non-blank text"


def _text(name: str, value: object, *, blank: str | None) -> str:
    """`value` if it is usable text, else InvalidRequestError naming `name` (never the value);
    `blank` is the message for a blank value, or None where blank is allowed."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string, not {type(value).__name__}")
    if _SURROGATE.search(value):
        raise InvalidRequestError(f"{name} must be valid Unicode text (no lone surrogates)")
    if blank is not None and not value.strip():
        raise InvalidRequestError(blank)
    return value


def theme_param(color: str) -> str:
    """The `c` parameter: the colour name in base64, URL-encoded ("green" → "Z3JlZW4%3D")."""
    color = _text("color", color, blank=_NO_COLOUR)
    encoded = base64.b64encode(color.strip().encode("utf-8")).decode("ascii")
    return quote(encoded, safe="")


def _loader(widget: str, public_key: str, query: str) -> str:
    public_key = _text("public_key", public_key, blank=_NO_KEY)
    src = f"{PLUGIN_BASE_URL}/{widget}/{quote(public_key.strip(), safe='')}?p&{query}"
    return _LOADER.format(src=src)


def _attribute(name: str, value: str | None) -> str:
    return "" if value is None else f' {name}="{html.escape(value, quote=True)}"'


def call_button(
    public_key: str,
    *,
    department_uid: str = "",
    color: str = "green",
    number_to_call: str | None = None,
    displayed_caller_id: str | None = None,
    label: str = "Call",
) -> str:
    """The call plugin and its button; calls queue to `department_uid`, or dial
    `number_to_call` (with country code) showing `displayed_caller_id` when given."""
    _text("department_uid", department_uid, blank=None)
    if number_to_call is not None:
        _text("number_to_call", number_to_call, blank=None)
    if displayed_caller_id is not None:
        _text("displayed_caller_id", displayed_caller_id, blank=None)
    _text("label", label, blank=_NO_LABEL)
    query = f"d={quote(department_uid, safe='')}&c={theme_param(color)}"
    button = (
        '<button id="callservy_call_button"'
        f"{_attribute('displayed_caller_id', displayed_caller_id)}"
        f"{_attribute('number_to_call', number_to_call)}"
        f">{html.escape(label)}</button>"
    )
    return f"{_loader('call', public_key, query)}\n{button}\n"


def ticket_widget(public_key: str, *, color: str = "green") -> str:
    """The support-ticket form: a holder element and its loader script."""
    _text("public_key", public_key, blank=_NO_KEY)
    holder_id = html.escape(f"callservy_ticket_widget_holder{public_key.strip()}", quote=True)
    holder = f'<div id="{holder_id}"></div>'
    return f"{holder}\n{_loader('ticket', public_key, f'c={theme_param(color)}')}\n"


def chat_widget(public_key: str, *, color: str = "green") -> str:
    """The live chat and chatbot."""
    return _loader("chat", public_key, f"c={theme_param(color)}") + "\n"


def video_widget(public_key: str, *, color: str = "green") -> str:
    """The instant video meeting."""
    return _loader("video", public_key, f"c={theme_param(color)}") + "\n"


def calendar_widget(public_key: str, *, color: str = "green") -> str:
    """The booking calendar."""
    return _loader("calendar", public_key, f"c={theme_param(color)}") + "\n"


WIDGETS: dict[str, Callable[..., str]] = {
    "call": call_button,
    "ticket": ticket_widget,
    "chat": chat_widget,
    "video": video_widget,
    "calendar": calendar_widget,
}
