"""Command line: ``irritants <command>`` (also ``flask --app irritants <command>``). The commands themselves are in
``irritants/commands.py`` (the app's own) and each domain's ``cli.py``, listed by ``irritants.DOMAINS``."""

from __future__ import annotations

import importlib
from importlib import metadata

import click
from flask import Flask
from flask.cli import FlaskGroup

from irritants import create_app, project_commands
from irritants.config import ConfigurationError

# Commands that extensions add to app.cli when the app is built, found here without building it.
EXTENSION_COMMANDS = {"openapi": ("flask_smorest.spec", "openapi_cli")}


def _create_app() -> Flask:

    try:
        return create_app()
    except ConfigurationError as exc:
        # The message names the variable to fix: say it, without a traceback, and exit with an error status.
        raise click.ClickException(str(exc)) from exc


class IrritantsGroup(FlaskGroup):
    """``irritants``: FlaskGroup builds the whole app (seconds of imports) to list its commands; this group knows
    them beforehand, so ``--help`` needs none of it. A command builds the app when it runs (``with_appcontext``).
    """

    def __init__(self, **extra: object) -> None:
        super().__init__(create_app=_create_app, add_version_option=False, **extra)  # type: ignore[arg-type]
        self._own: dict[str, click.Command] | None = None

    def _own_commands(self) -> dict[str, click.Command]:
        if self._own is None:
            self._own = {command.name: command for command in project_commands() if command.name}
        return self._own

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = self._own_commands().get(name)
        if command is None and name in EXTENSION_COMMANDS:
            module, attribute = EXTENSION_COMMANDS[name]
            command = getattr(importlib.import_module(module), attribute)
        return command if command is not None else super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        builtin = click.Group.list_commands(self, ctx)  # run, shell, routes
        plugins = [entry.name for entry in metadata.entry_points(group="flask.commands")]
        return sorted({*builtin, *plugins, *self._own_commands(), *EXTENSION_COMMANDS})


# The version of the installed package (importlib.metadata), read when asked: Flask's own --version is left out.
main = click.version_option(package_name="irritants", prog_name="irritants", message="%(prog)s %(version)s")(
    IrritantsGroup(help="irritants — signalements et irritants du service public.")
)
