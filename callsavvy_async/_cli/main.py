"""The whole command: the shared app with every command module registered."""

from callsavvy_async._cli import demo, send, serve
from callsavvy_async._cli.app import app

__all__ = ["app", "demo", "send", "serve"]
