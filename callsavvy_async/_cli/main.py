"""The whole command: the shared app with every command module registered."""

from callsavvy_async._cli import demo, distributed, send, serve
from callsavvy_async._cli.app import app

__all__ = ["app", "demo", "distributed", "send", "serve"]
