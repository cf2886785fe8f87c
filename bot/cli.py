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

cli = typer.Typer(
    name="headway", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Headway keeps ML product teams and their stakeholders in step, inside Slack.",
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"headway: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        raise _fail(str(error), 2) from None


@cli.command()
def serve(
    socket: Annotated[bool, typer.Option("--socket", help="Use Socket Mode (needs SLACK_APP_TOKEN) instead of "
                                                        "receiving Slack's requests over HTTP.")] = False,
) -> None:
    """Serve Slack requests on /slack/events, plus /healthz and /metrics."""
    settings = _settings()
    try:
        settings.require_slack(socket_mode=socket)
    except ConfigError as error:
        raise _fail(str(error), 2) from None
    configure_logging(secrets=tuple(secret.get_secret_value() for secret in (
        settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token) if secret is not None))
    from bot.server import HeadwayServer

    try:
        asyncio.run(HeadwayServer(settings, log_level="info").serve_forever(socket_mode=socket))
    except SchemaOutdated as error:
        raise _fail(str(error)) from None
    except OSError as error:
        raise _fail(f"cannot serve on {settings.host}:{settings.port}: {error.strerror or error}") from None


@cli.command()
def migrate() -> None:
    """Upgrade the database (DATABASE_URL) to the latest schema."""
    settings = _settings()
    from bot.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except Exception as error:  # a connection refused or a bad URL: say so in one line
        raise _fail(f"migration failed: {type(error).__name__}: {str(error).splitlines()[0][:300]}") from None
    typer.echo("Database is up to date.")


@cli.command()
def manifest(
    url: Annotated[str | None, typer.Option(help="Public https base URL where Headway is served.")] = None,
    socket: Annotated[bool, typer.Option("--socket", help="Manifest for Socket Mode (no request URLs).")] = False,
) -> None:
    """Print the Slack app manifest (YAML) to create Headway's app at api.slack.com/apps."""
    from bot.manifest import manifest_yaml

    if not socket and not url:
        raise _fail("give --url https://your.host (or --socket for Socket Mode)", 2)
    if url and not url.startswith("https://") and not socket:
        raise _fail("--url must be an https URL: Slack only sends requests over https", 2)
    typer.echo(manifest_yaml(url, socket_mode=socket), nl=False)


@cli.command()
def demo(
    keep: Annotated[str | None, typer.Option(help="Keep the demo database at this path instead of a temp file.")]
    = None,
) -> None:
    """Run a scripted scenario against the built-in Slack emulator and print what each person sees."""
    from bot.demo.run import run_demo

    asyncio.run(run_demo(keep_database=keep))


@cli.command()
def playground(
    port: Annotated[int, typer.Option(help="Loopback port of the page (0 picks a free one).")] = 8080,
    scenario: Annotated[bool, typer.Option("--scenario", help="Play the demo's story into the workspace first.")]
    = False,
) -> None:
    """Open Headway in a Slack-like page in your browser, on the built-in emulator (no Slack account needed)."""
    from bot.demo.playground import run_playground

    asyncio.run(run_playground(port, scenario))


digest_cli = typer.Typer(name="digest", no_args_is_help=True, help="Weekly digests, as their readers get them.")
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


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
