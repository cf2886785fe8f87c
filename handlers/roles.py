"""`/headway role @person [pm] [exec] [admin] [member]`: see or set someone's Headway roles."""

from __future__ import annotations

from bot.app import Headway
from bot.errors import HeadwayError
from bot.models import Role
from bot.people import service as people
from handlers.registry import CommandRegistry
from handlers.replies import respond
from handlers.requests import CommandRequest, user_id_from

ROLE_WORDS = {r.value: r for r in Role} | {"pms": Role.PM, "execs": Role.EXEC, "admins": Role.ADMIN}


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("role", "See someone's roles, or set them (pm, exec, admin; member clears)", set_role,
                 args="@person [pm|exec|member|admin …]", min_args=1, max_args=5, who="admins set roles")


async def set_role(hw: Headway, req: CommandRequest) -> None:
    user_id = user_id_from(req.args[0])
    if user_id is None:
        raise HeadwayError("Mention the person first, e.g. `/headway role @ana pm`.")
    words = [w.lower().strip(",") for w in req.args[1:]]
    unknown = [w for w in words if w not in ROLE_WORDS]
    if unknown:
        raise HeadwayError(f"`{unknown[0][:20]}` is not a role. Roles are pm, exec, admin and member.")
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        if not words:
            target = await people.ensure_person(session, req.team_id, user_id, hw.gateway.profile)
            roles = await people.roles_of(session, target)
            change = None
        else:
            change = await people.set_roles(session, actor, user_id, [ROLE_WORDS[w] for w in words],
                                            hw.gateway.profile)
    if change is None:
        await respond(hw, req.response_url, "roles/show.json.j2", user_id=user_id, roles=_names(roles))
    else:
        await respond(hw, req.response_url, "roles/changed.json.j2", user_id=user_id, before=_names(change.before),
                      after=_names(change.after))


def _names(roles: frozenset[Role]) -> list[str]:
    order = [Role.ADMIN, Role.PM, Role.EXEC, Role.MEMBER]
    return [r.value for r in order if r in roles]
