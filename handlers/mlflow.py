"""`/headway mlflow KEY <tracking-url> "<experiment name>" <metric-key>`: link a project to MLflow and import.

Linking checks permission first, then asks MLflow (so a typo in the address or the experiment name is answered
right away and nothing is linked), then saves the link and stores what MLflow has, in one unit of work that
never waits on the network. The scheduler keeps the link in sync afterwards (`bot.experiments.mlflow.sync_all`).
"""

from __future__ import annotations

from bot.app import Headway
from bot.errors import InvalidInput
from bot.experiments import mlflow, mlflow_client, registry
from bot.models import MlflowLink
from bot.people import service as people
from handlers.registry import CommandRegistry
from handlers.replies import respond
from handlers.requests import CommandRequest

TEMPLATE = "experiments/mlflow.json.j2"
WEBHOOK_TEMPLATE = "experiments/mlflow_webhook.json.j2"
WEBHOOK_EVENTS = ("model_version.created", "model_version_alias.created", "model_version_tag.set")
USAGE = '/headway mlflow KEY http://mlflow.internal:5000 "experiment name" metric-key'


def add_subcommands(registry: CommandRegistry) -> None:
    registry.add("mlflow", "Import a project's metric from an MLflow experiment, now and every hour, e.g. "
                           '/headway mlflow FRAUD http://mlflow:5000 "fraud model" recall', link_mlflow,
                 args='KEY tracking-url "experiment name" metric-key', min_args=4, max_args=None,
                 who="the project's PMs and admins")
    registry.add("mlflow webhook", "A secret for MLflow's registry webhooks (shown once) and the create_webhook "
                                   "call to paste: new versions become results, the promotion alias asks for a gate",
                 create_webhook, args="KEY|workspace [model=NAME] [alias=champion]", min_args=1, max_args=3,
                 who="the project's PMs and admins (workspace: admins)")


async def link_mlflow(hw: Headway, req: CommandRequest) -> None:
    # The experiment name is everything between the URL and the metric key, so an unquoted name with spaces
    # works too; quotes are needed only for a metric key with spaces.
    key, url, metric_key = req.args[0], req.args[1], req.args[-1]
    name = " ".join(req.args[2:-1])
    shown_key = key.upper()[:12]
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        try:
            checked = await mlflow.check_link(session, actor, key, url, name, metric_key)
        except InvalidInput as error:
            await respond(hw, req.response_url, TEMPLATE, key=shown_key, problems=list(error.errors.values()),
                          usage=USAGE)
            return
    try:
        async with mlflow_client.MlflowClient(checked.tracking_url, policy=hw.outbound) as client:
            snapshot = await mlflow.fetch_snapshot(client, checked.experiment_name, checked.metric_key)
    except mlflow_client.MlflowError as error:
        await respond(hw, req.response_url, TEMPLATE, key=checked.project.key, problems=[str(error)], usage=USAGE)
        return
    async with hw.db.unit_of_work() as session:
        link = await mlflow.link_project(session, actor, key, url, name, metric_key)
        result = await mlflow.store_snapshot(session, link, snapshot, hw.clock.now())
    await respond(hw, req.response_url, TEMPLATE, key=checked.project.key, problems=[], usage=USAGE, link=link,
                  metric=checked.project.metric_name, result=result, latest=_latest(link, snapshot),
                  experiment_url=mlflow.experiment_url(link.tracking_url, snapshot.experiment.experiment_id))


def _latest(link: MlflowLink, snapshot: mlflow.Snapshot) -> dict[str, object] | None:
    """The most recent value MLflow holds for the metric, with the run it came from."""
    best = None
    for run in snapshot.runs:
        for value in snapshot.histories.get(run.run_id, []):
            if best is None or (value.timestamp, value.step) > (best[1].timestamp, best[1].step):
                best = (run, value)
    if best is None:
        return None
    run, value = best
    return {"value": value.value, "step": value.step, "run_name": run.run_name,
            "url": mlflow.run_url(link.tracking_url, run.experiment_id or snapshot.experiment.experiment_id,
                                  run.run_id)}


async def create_webhook(hw: Headway, req: CommandRequest) -> None:
    target = req.args[0]
    options = dict(arg.split("=", 1) for arg in req.args[1:] if "=" in arg)
    unknown = [arg for arg in req.args[1:] if "=" not in arg or arg.split("=", 1)[0] not in ("model", "alias")]
    if unknown:
        raise InvalidInput({"options": f"“{unknown[0][:40]}” is not an option: use model=NAME or alias=NAME."})
    key = None if target.lower() == "workspace" else target
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        issued = await registry.issue_webhook(session, actor, key, model=options.get("model"),
                                              alias=options.get("alias"))
    scope = issued.project.key if issued.project else "this workspace"
    url = f"{hw.settings.base_url}/api/v1/mlflow/webhook?hook={issued.hook.hook_id}"
    call = ("from mlflow import MlflowClient\n"
            "MlflowClient().create_webhook(\n"
            f'    name="headway-{(issued.project.key if issued.project else "workspace").lower()}",\n'
            f'    url="{url}",\n'
            f"    events={list(WEBHOOK_EVENTS)!r},\n"
            f'    secret="{issued.secret}",\n'
            ")")
    await respond(hw, req.response_url, WEBHOOK_TEMPLATE, scope=scope, secret=issued.secret, call=call,
                  follow=issued.follow, metric_key=issued.link.metric_key if issued.link else "",
                  tracking_url=issued.link.tracking_url if issued.link else "")
