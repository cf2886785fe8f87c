"""`headway report SCOPE PERIOD` and `headway export`: the same reports from a shell (reads DATABASE_URL; no Slack
token). Markdown and JSON go to stdout; CSV tables (and everything, with --out) are written as files."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlmodel import select

from bot.errors import HeadwayError
from bot.reports.periods import Period, parse_period

if TYPE_CHECKING:  # rendering loads the whole report model: only when a report is printed (the CLI starts lean)
    from bot.reports import render


class Format(StrEnum):
    MARKDOWN = "markdown"
    CSV = "csv"
    JSON = "json"


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"headway: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _write(files: list[render.ReportFile], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for f in files:
        (out / f.filename).write_text(f.content, encoding="utf-8")
        typer.echo(str(out / f.filename))


async def _run_report(words: list[str], team: str, user: str | None, tz: str) -> tuple[object, object]:
    from bot.app import build_headway
    from bot.config import load_settings
    from bot.digests.preview import check_schema
    from bot.models import Person, Role, Workspace
    from bot.people.service import Actor, roles_of
    from bot.reports import service

    hw = build_headway(load_settings())
    try:
        await check_schema(hw.db)
        async with hw.db.unit_of_work() as session:
            if await session.get(Workspace, team) is None:
                raise HeadwayError(f"there is no workspace {team} in this database")
            if user:
                person = (await session.exec(select(Person).where(Person.team_id == team,
                                                                  Person.user_id == user))).first()
                if person is None:
                    raise HeadwayError(f"{user} has not used Headway in {team}")
                reader = Actor(person, await roles_of(session, person))
            else:  # the operator: every scope, in --tz
                reader = Actor(Person(team_id=team, user_id="", tz=tz), frozenset(Role))
            return await service.read_request(session, reader, words, hw.clock.now(),
                                              lambda p: hw.lifecycle(p.lifecycle)), hw.renderer
    finally:
        await hw.close()


def report(
    words: Annotated[list[str], typer.Argument(help="SCOPE PERIOD, as in Slack: FRAUD Q3, portfolio as of "
                                               "2026-09-30, standup NAME last month, U123 october.")],
    team: Annotated[str, typer.Option("--team", help="The Slack workspace id (T…).")],
    user: Annotated[str | None, typer.Option("--user", help="Read as this person (their zone and permissions); "
                                             "default: as the operator, everything.")] = None,
    tz: Annotated[str, typer.Option("--tz", help="The time zone without --user.")] = "UTC",
    fmt: Annotated[Format, typer.Option("--format", help="markdown or json to stdout; csv: the tables as files "
                                        "in --out.")] = Format.MARKDOWN,
    out: Annotated[Path | None, typer.Option("--out", help="Write every file of the report in this directory.")]
    = None,
) -> None:
    """Print a report: a project, a standup, a person or the portfolio over a period."""
    try:
        built, renderer = asyncio.run(_run_report(words, team, user, tz))
    except HeadwayError as error:
        raise _fail(str(error)) from None
    except Exception as error:
        raise _fail(f"cannot read the database: {type(error).__name__}: {str(error).splitlines()[0][:300]}") \
            from None
    _emit([built], renderer, fmt, out)


def _emit(reports: list, renderer: object, fmt: Format, out: Path | None) -> None:
    from bot.reports import render

    if fmt == Format.JSON:
        document = [render.as_json(r) for r in reports]
        text = json.dumps(document[0] if len(document) == 1 else {"workspaces": document}, indent=2,
                          ensure_ascii=False)
        if out is None:
            typer.echo(text)
            return
        out.mkdir(parents=True, exist_ok=True)
        (out / "headway-report.json").write_text(text, encoding="utf-8")
        typer.echo(str(out / "headway-report.json"))
        return
    if fmt == Format.MARKDOWN and out is None:
        for r in reports:
            typer.echo(render.markdown(renderer, r), nl=False)  # type: ignore[arg-type]
        return
    for r in reports:
        files = render.files(renderer, r, limit=render.SLACK_FILE_BYTES)  # type: ignore[arg-type]
        if fmt == Format.CSV:
            files = [f for f in files if f.filename.endswith(".csv")]
        stem = f"{r.scope.team_id}-" if len(reports) > 1 else ""
        _write([render.ReportFile(stem + f.filename, f.title, f.content) for f in files], out or Path("."))


async def _run_export(since: date | None, until: date | None, workspace: str | None) -> tuple[list, object]:
    from bot.app import build_headway
    from bot.config import load_settings
    from bot.digests.preview import check_schema
    from bot.models import Workspace
    from bot.reports.build import build_report
    from bot.reports.scope import Scope, ScopeKind

    hw = build_headway(load_settings())
    try:
        await check_schema(hw.db)
        today = hw.clock.now().astimezone(UTC).date()
        words = f"{(since or date(2000, 1, 1)).isoformat()}..{(until or today).isoformat()}"
        period = parse_period(words, today)
        period = Period(period.start, period.end, "everything" if since is None else period.label)
        async with hw.db.unit_of_work() as session:
            query = select(Workspace).order_by(Workspace.team_id)
            if workspace:
                query = query.where(Workspace.team_id == workspace)
            teams = (await session.exec(query)).all()
            if workspace and not teams:
                raise HeadwayError(f"there is no workspace {workspace} in this database")
            reports = [await build_report(session, Scope(ScopeKind.PORTFOLIO, t.team_id), period, "UTC",
                                          lambda p: hw.lifecycle(p.lifecycle), hw.clock.now(), answers=True)
                       for t in teams]
        return reports, hw.renderer
    finally:
        await hw.close()


def export(
    since: Annotated[datetime | None, typer.Option("--since", formats=["%Y-%m-%d"], help="First day (UTC).")]
    = None,
    until: Annotated[datetime | None, typer.Option("--until", formats=["%Y-%m-%d"], help="Last day (UTC); "
                                                   "default today.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="csv (files in --out), json or markdown.")] = Format.JSON,
    workspace: Annotated[str | None, typer.Option("--workspace", help="One workspace (T…); default: each in "
                                                  "the database, separately.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the files in this directory.")] = None,
) -> None:
    """Export everything recorded over a period: every project's record and every standup answer."""
    try:
        reports, renderer = asyncio.run(_run_export(since.date() if since else None,
                                                    until.date() if until else None, workspace))
    except HeadwayError as error:
        raise _fail(str(error)) from None
    except Exception as error:
        raise _fail(f"cannot read the database: {type(error).__name__}: {str(error).splitlines()[0][:300]}") \
            from None
    _emit(reports, renderer, fmt, out)
