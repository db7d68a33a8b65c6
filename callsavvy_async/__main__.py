"""`python -m callsavvy_async` runs the `callsavvy` command."""

from callsavvy_async.cli import main

main()
