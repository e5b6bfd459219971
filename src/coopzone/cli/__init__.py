"""Command line: the root Typer app mounts each domain's commands."""
