"""The whole command: the shared app with every command module registered."""

from callsavvy_async._cli import demo, distributed, read, send, serve, widgets
from callsavvy_async._cli.app import app

__all__ = ["app", "demo", "distributed", "read", "send", "serve", "widgets"]
