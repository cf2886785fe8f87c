"""`headway`: serve, migrate, demo, playground and manifest. Problems end in one clear line, never a traceback."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure as configure_logging
from bot.migrate import SchemaOutdated

# Plain help (rich_markup_mode=None): Typer's rich help labels every flag `<bool>`, which reads as a value to type.
cli = typer.Typer(name="headway", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  rich_markup_mode=None)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"headway: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        raise _fail(str(error), 2) from None


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"headway {version('headway')}")
        except PackageNotFoundError:
            typer.echo("headway (not installed)")
        raise typer.Exit()


@cli.callback()
def _root(
    _: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                    help="Print Headway's version and exit.")] = False,
) -> None:
    """Headway keeps ML product teams and their stakeholders in step, inside Slack."""


@cli.command()
def check(
    socket: Annotated[bool, typer.Option("--socket", help="Check the Socket Mode setup (SLACK_APP_TOKEN) too.")]
    = False,
) -> None:
    """Check settings, files, database and Slack before serving.

    One line per check (✓ or ✗ with what to do): settings; the lifecycle file; every template override, rendered
    with sample data and validated as Block Kit; the database (reachable, at the head revision); the bot token
    (auth.test) and its scopes against the manifest; with --socket, the app-level token. Exit 0 or 2.
    """
    from bot.checks import passed, run_checks

    _, checks = asyncio.run(run_checks(socket_mode=socket))
    for result in checks:
        typer.echo(result.line())
    if not passed(checks):
        raise typer.Exit(2)


@cli.command()
def serve(
    socket: Annotated[bool, typer.Option("--socket", help="Use Socket Mode (needs SLACK_APP_TOKEN) instead of "
                                                        "receiving Slack's requests over HTTP.")] = False,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: HEADWAY_HOST or 127.0.0.1).",
                                             show_default=False)] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: HEADWAY_PORT or 3000).",
                                             show_default=False)] = None,
) -> None:
    """Serve Slack (/slack/events), /healthz and /metrics.

    Runs the checks of `headway check` first and refuses to start, in one line, when one fails.
    """
    from bot.checks import run_checks

    overrides = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    settings, checks = asyncio.run(run_checks(socket_mode=socket, fail_fast=True, port=True, overrides=overrides,
                                              open_socket=False))  # the connect below checks the app token
    failed = next((result for result in checks if not result.ok), None)
    if failed is not None or settings is None:
        raise _fail(failed.detail if failed else "invalid settings", 2)
    configure_logging(settings.log_level, settings.log_format, secrets=tuple(secret.get_secret_value() for secret in (
        settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token,
        settings.slack_client_secret) if secret is not None))
    from bot.server import HeadwayServer
    from bot.serving import event_loop_factory

    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:  # uvloop where installed
            runner.run(HeadwayServer(settings, log_level=settings.log_level).serve_forever(socket_mode=socket))
    except SchemaOutdated as error:
        raise _fail(str(error)) from None
    except ConfigError as error:  # e.g. an app token Slack refuses (Socket Mode)
        raise _fail(str(error), 2) from None
    except OSError as error:
        raise _fail(f"cannot serve on {settings.host}:{settings.port}: {error.strerror or error}") from None


@cli.command()
def migrate() -> None:
    """Upgrade the database (DATABASE_URL) to the latest schema.

    Replicas starting together take turns (a PostgreSQL advisory lock).
    """
    settings = _settings()
    from bot.checks import describe_database, lifecycle_check
    from bot.migrate import upgrade

    lifecycle = lifecycle_check(settings)
    if not lifecycle.ok:
        raise _fail(lifecycle.detail, 2)
    typer.echo(f"Database: {describe_database(settings.database_url)}")
    try:
        before, after = upgrade(settings.database_url)
    except Exception as error:  # a connection refused or a bad URL: say so in one line
        raise _fail(f"migration failed: {type(error).__name__}: {str(error).splitlines()[0][:300]}") from None
    if before == after:
        typer.echo(f"Revision {after}: the database is up to date.")
    else:
        typer.echo(f"Revision {before} → {after}: the database is up to date.")


@cli.command()
def manifest(
    url: Annotated[str | None, typer.Option(help="Public https base URL where Headway is served.")] = None,
    socket: Annotated[bool, typer.Option("--socket", help="Manifest for Socket Mode (no request URLs).")] = False,
    oauth: Annotated[bool, typer.Option("--oauth", help="\"Add to Slack\" for many workspaces: adds the redirect "
                                                       "URL and org-wide install, and prints the settings it needs."
                                        )] = False,
) -> None:
    """Print the Slack app manifest (YAML).

    Paste it at api.slack.com/apps to create Headway's app.
    """
    from bot.manifest import manifest_yaml, oauth_instructions

    if not socket and not url:
        raise _fail("give --url https://your.host (or --socket for Socket Mode)", 2)
    if url and not url.startswith("https://") and not socket:
        raise _fail("--url must be an https URL: Slack only sends requests over https", 2)
    if oauth and (socket or not url):
        raise _fail("--oauth needs --url https://your.host: Slack redirects installers there (not Socket Mode)", 2)
    typer.echo(manifest_yaml(url, socket_mode=socket, oauth=oauth), nl=False)
    if oauth and url:
        typer.echo(oauth_instructions(url), err=True, nl=False)


@cli.command()
def demo(
    keep: Annotated[str | None, typer.Option(help="Keep the demo database at this path instead of a temp file.")]
    = None,
) -> None:
    """Run a scripted scenario on the built-in emulator.

    Prints what each person sees in Slack.
    """
    from bot.demo.run import run_demo
    from bot.serving import event_loop_factory

    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:  # on serve's loop: the story is CPU-bound
        runner.run(run_demo(keep_database=keep))


@cli.command()
def playground(
    port: Annotated[int, typer.Option(help="Loopback port of the page (0 picks a free one).")] = 8080,
    scenario: Annotated[bool, typer.Option("--scenario", help="Play the demo's story into the workspace first.")]
    = False,
) -> None:
    """Open Headway in a Slack-like page in your browser, on the built-in emulator (no Slack account needed)."""
    from bot.demo.playground import run_playground

    asyncio.run(run_playground(port, scenario))


digest_cli = typer.Typer(name="digest", no_args_is_help=True, rich_markup_mode=None,
                          help="Weekly digests, as their readers get them.")
cli.add_typer(digest_cli, name="digest")


class PreviewFormat(StrEnum):
    TEXT = "text"
    BLOCKS = "blocks"
    HTML = "html"


class PreviewKind(StrEnum):
    EXEC = "exec"
    TEAM = "team"


@digest_cli.command("preview")
def digest_preview(
    team: Annotated[str, typer.Option("--team", help="The Slack workspace id (T…).")],
    user: Annotated[str, typer.Option("--user", help="The reader's Slack user id (U…).")],
    fmt: Annotated[PreviewFormat, typer.Option("--format", help="text: readable in a terminal; blocks: the Block "
                                                "Kit JSON payload; html: a standalone page.")] = PreviewFormat.TEXT,
    kind: Annotated[PreviewKind, typer.Option("--kind", help="Which digest.")] = PreviewKind.EXEC,
    on: Annotated[datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="As of this date (default: "
                                                "today in the reader's time zone).")] = None,
) -> None:
    """Print exactly the digest a person would receive (reads DATABASE_URL; no Slack token needed)."""
    settings = _settings()
    from bot.digests import preview as previews
    from bot.models import DigestKind

    try:
        result = asyncio.run(previews.build_preview(settings, team, user, DigestKind(kind.value),
                                                    on.date() if on else None))
    except (SchemaOutdated, previews.PreviewError) as error:
        raise _fail(str(error)) from None
    except Exception as error:  # a connection refused or a bad URL: say so in one line
        raise _fail(f"cannot read the database: {type(error).__name__}: {str(error).splitlines()[0][:300]}") \
            from None
    if not result.reader_known:
        typer.echo(f"headway: note: {user} has not used Headway in {team} yet: previewed in UTC, with no decisions",
                   err=True)
    if fmt == PreviewFormat.BLOCKS:
        if result.chart_alt:
            typer.echo(f"headway: note: {previews.CHART_NOTE}", err=True)
        typer.echo(previews.as_blocks(result), nl=False)
    elif fmt == PreviewFormat.HTML:
        chart = None
        if result.chart_alt:
            from bot.digests.charts import trend_chart_png

            chart = trend_chart_png(result.digest.shown, today=result.digest.today)
        typer.echo(previews.as_html(result, chart), nl=False)
    else:
        typer.echo(previews.as_text(result), nl=False)


# Sub-apps that live in their own modules (one line each, so additions merge cleanly).
from bot.cli_admin import outbox_cli, people_cli, workspaces_cli  # noqa: E402

cli.add_typer(workspaces_cli, name="workspaces")
cli.add_typer(people_cli, name="people")
cli.add_typer(outbox_cli, name="outbox")
from bot.reports.cli import export, report  # noqa: E402

cli.command("report")(report)
cli.command("export")(export)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
