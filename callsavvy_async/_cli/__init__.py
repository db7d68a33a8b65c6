"""The `callsavvy` command line (Typer and Rich, from the `cli` extra)."""
