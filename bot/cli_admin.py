"""`headway workspaces|people|outbox …`: what an operator looks up or fixes in the database (reads DATABASE_URL).

Sub-apps added to the main `headway` command in bot.cli; each command is one query through the unit of work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import ConfigError, load_settings

T = TypeVar("T")

workspaces_cli = typer.Typer(name="workspaces", no_args_is_help=True, help="Slack workspaces that use Headway.")
people_cli = typer.Typer(name="people", no_args_is_help=True, help="People Headway knows, with ids and roles.")
outbox_cli = typer.Typer(name="outbox", no_args_is_help=True,
                         help="Unsent messages: waiting, held or dead.")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"headway: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _in_database(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of work against DATABASE_URL; any problem is one line, never a traceback."""
    from bot.db import Database
    from bot.migrate import SchemaOutdated, ensure_current

    try:
        settings = load_settings()
    except ConfigError as error:
        raise _fail(str(error), 2) from None

    async def run() -> T:
        db = Database(settings.database_url)
        try:
            await ensure_current(db.engine)
            async with db.unit_of_work() as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except SchemaOutdated as error:
        raise _fail(str(error)) from None
    except Exception as error:  # refused, unknown host: say so in one line
        raise _fail(f"cannot read the database: {type(error).__name__}: {str(error).splitlines()[0][:300]}") \
            from None


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> None:
    if not rows:
        typer.echo(empty)
        return
    cells = [[str(v) for v in header], *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        typer.echo("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())


@workspaces_cli.command("list")
def workspaces_list() -> None:
    """Workspace ids (T…) and names, with how many people Headway knows in each; with "Add to Slack" also the
    Grid organization (E…) and whether it is installed or was uninstalled (and when its data goes)."""
    from datetime import timedelta

    from sqlalchemy import func

    from bot.models import Person, Workspace
    from bot.workspaces import service

    retention = timedelta(days=load_settings().retention_days_after_uninstall)

    def state(info: service.WorkspaceInfo) -> str:
        if info.uninstalled_at:
            return (f"uninstalled {info.uninstalled_at:%Y-%m-%d} (data deleted after "
                    f"{info.uninstalled_at + retention:%Y-%m-%d})")
        return "installed" if info.installed_at else "—"

    async def query(session: AsyncSession) -> list[tuple[Any, ...]]:
        counts = dict((await session.exec(select(Person.team_id, func.count()).group_by(  # type: ignore[call-overload]
            Person.team_id))).all())
        lifecycles = {w.team_id: w.lifecycle for w in (await session.exec(select(Workspace))).all()}
        return [(w.team_id, w.name or "—", lifecycles.get(w.team_id, "—"), counts.get(w.team_id, 0),
                 w.enterprise_id or "—", state(w)) for w in await service.listing(session)]

    _table(("TEAM", "NAME", "LIFECYCLE", "PEOPLE", "ORG", "SLACK"), _in_database(query),
           "No workspaces yet: they appear once someone uses Headway in Slack.")


@workspaces_cli.command("delete")
def workspaces_delete(
    team: Annotated[str, typer.Argument(metavar="TEAM_ID", help="The workspace (T…) from `headway workspaces list`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete everything Headway keeps of one workspace, now: projects, standups, digests, gates, people, queued
    messages, its installation. Other workspaces are not touched. This cannot be undone."""
    from bot.workspaces import service

    if not yes and not typer.confirm(f"Delete every row of workspace {team}? This cannot be undone"):
        raise _fail("nothing deleted", 1)
    if not _in_database(lambda session: service.delete_workspace(session, team)):
        raise _fail(f"no workspace {team}: see `headway workspaces list`")
    typer.echo(f"Deleted workspace {team} and all its data.")


@people_cli.command("list")
def people_list(
    team: Annotated[str | None, typer.Option("--team", help="Only this workspace (T…).")] = None,
) -> None:
    """People's Slack ids (U…), names, roles and time zones: what `headway digest preview` needs."""
    from bot.models import Person, PersonRole

    async def query(session: AsyncSession) -> list[tuple[Any, ...]]:
        people_query = select(Person).where(col(Person.deleted).is_(False))
        if team:
            people_query = people_query.where(Person.team_id == team)
        people = (await session.exec(people_query.order_by(col(Person.team_id), col(Person.user_id)))).all()
        roles: dict[int, list[str]] = {}
        for person_id, role in (await session.exec(select(PersonRole.person_id, PersonRole.role))).all():
            roles.setdefault(person_id, []).append(role)
        return [(p.team_id, p.user_id, p.real_name or p.name or "—", ", ".join(sorted(roles.get(p.id or 0, []))) or
                 "—", p.tz) for p in people]

    _table(("TEAM", "USER", "NAME", "ROLES", "TIME ZONE"), _in_database(query),
           "Nobody yet: people appear once they use Headway in Slack.")


@outbox_cli.command("list")
def outbox_list(
    held: Annotated[bool, typer.Option("--held", help="Only messages held for someone to fix.")] = False,
    dead: Annotated[bool, typer.Option("--dead", help="Only dead letters (given up on).")] = False,
    limit: Annotated[int, typer.Option(metavar="N", min=1, max=10_000, help="At most this many, oldest first.")] = 200,
) -> None:
    """Messages not sent yet: waiting, held or dead, with their last error."""
    from bot.delivery import backlog
    from bot.models.outbox import OutboxStatus

    statuses: tuple[str, ...] = ()
    if held:
        statuses += (backlog.HELD,)
    if dead:
        statuses += (str(OutboxStatus.DEAD),)
    statuses = statuses or (*backlog.WAITING, *backlog.RETRYABLE)

    async def query(session: AsyncSession) -> list[tuple[Any, ...]]:
        return [(m.id, m.status, m.team_id, m.kind, m.channel, m.attempts, f"{m.created_at:%Y-%m-%d %H:%M}",
                 (m.last_error or "")[:80]) for m in await backlog.listing(session, statuses, limit)]

    _table(("ID", "STATUS", "TEAM", "KIND", "TO", "TRIES", "QUEUED (UTC)", "LAST ERROR"), _in_database(query),
           "Nothing here: every message was sent.")


@outbox_cli.command("retry")
def outbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(metavar="ID", help="Ids from `headway outbox list`.",
                                                       show_default=False)]
    = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Retry every dead letter.")] = False,
) -> None:
    """Queue dead or held messages again; a running Headway sends them within seconds."""
    from bot.delivery import backlog

    if bool(ids) == all_dead:
        raise _fail("give message ids (from `headway outbox list`) or --all-dead", 2)
    count, missing = _in_database(lambda session: backlog.retry(session, list(ids) if ids else None))
    typer.echo(f"Queued {count} message{'s' if count != 1 else ''} again.")
    if missing:
        raise _fail(f"not dead or held, or unknown: {', '.join(map(str, missing))}")
