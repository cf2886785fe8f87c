import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.manifest import BOT_SCOPES, build_manifest, manifest_yaml

# The manifest says which major version of Slack's schema it targets (2: `functions` with properties/required).
SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "slack" / "manifest.schema.2.0.0.json"


@pytest.fixture(scope="module")
def schema():
    if not SCHEMA.is_file():
        pytest.skip(f"Slack's manifest schema is not beside this checkout ({SCHEMA})")
    return json.loads(SCHEMA.read_text())


@pytest.mark.parametrize("socket_mode", [False, True])
def test_manifest_validates_against_slacks_schema(schema, socket_mode):
    manifest = yaml.safe_load(manifest_yaml(None if socket_mode else "https://example.org", socket_mode=socket_mode))
    jsonschema.validate(manifest, schema)


def test_schema_check_is_not_vacuous(schema):
    manifest = build_manifest("https://example.org")
    manifest["features"]["bot_user"]["unexpected"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(manifest, schema)


def test_manifest_content():
    manifest = build_manifest("https://example.org/")
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/headway", "/standup", "/gate"}
    assert all(c["url"] == "https://example.org/slack/events" for c in commands.values())
    settings = manifest["settings"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": "https://example.org/slack/events"}
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert settings["socket_mode_enabled"] is False


def test_socket_mode_manifest_has_no_request_urls():
    manifest = build_manifest(None, socket_mode=True)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert all("url" not in c for c in manifest["features"]["slash_commands"])


def test_custom_steps_are_declared_as_workflow_builder_expects(schema):
    manifest = build_manifest("https://example.org")
    assert manifest["_metadata"]["major_version"] == 2 and SCHEMA.name.startswith("manifest.schema.2.")
    steps = manifest["functions"]
    assert set(steps) == {"request_gate", "log_result", "post_status"}
    inputs = {name: set(step["input_parameters"]["properties"]) for name, step in steps.items()}
    assert inputs["request_gate"] >= {"project", "stage", "summary", "approvers"}
    assert inputs["log_result"] >= {"project", "value", "confidence", "note"}
    assert inputs["post_status"] == {"project", "channel"}
    assert set(steps["request_gate"]["output_parameters"]["required"]) == {"gate_id", "gate_link"}
    assert steps["log_result"]["output_parameters"]["required"] == ["label"]
    assert "function_executed" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert manifest["settings"]["org_deploy_enabled"] is True  # custom steps need an org-ready app
    broken = build_manifest("https://example.org")
    broken["functions"]["log_result"]["input_parameters"]["properties"]["value"]["type"] = "float"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_oauth_manifest_lists_the_redirect_url_and_allows_org_wide_installs(schema):
    manifest = yaml.safe_load(manifest_yaml("https://headway.example.com", oauth=True))
    jsonschema.validate(manifest, schema)
    assert manifest["oauth_config"]["redirect_urls"] == ["https://headway.example.com/slack/oauth_redirect"]
    assert manifest["settings"]["org_deploy_enabled"] is True
    assert "redirect_urls" not in build_manifest("https://headway.example.com")["oauth_config"]
