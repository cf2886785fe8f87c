"""The OpenAPI 3.1 document of the playground's JSON API (GET /playground/api/openapi.json), for the page's
authors and for the schemathesis test that fuzzes it (tests/bot/slack_emulator/test_playground_schema.py).

Every route answers 403 to a foreign Host/Origin and 413 over its body limit (bot/slack_emulator/guard.py); the
writes take application/json only (415). A person (`as`) is a user id of the workspace; anything else is 400.
`team` (a query parameter of every route) picks the workspace, the first by default; an unknown one is 404.
"""

from __future__ import annotations

from typing import Any

PERSON = {"type": "string", "maxLength": 40, "description": "the user id of the person the page acts as"}
TEXT = {"type": "string", "maxLength": 4000}
ID = {"type": "string", "maxLength": 100}
TEAM = {"name": "team", "in": "query", "required": False,
        "schema": {"type": "string", "maxLength": 40, "description": "the workspace (T…); default: the first"}}
GUARD = {"403": {"description": "Foreign Host, Origin or Sec-Fetch-Site"},
         "413": {"description": "Body over the route's limit"}}
ANSWER = {"200": {"description": "Done (ok says whether the app accepted it)",
                  "content": {"application/json": {"schema": {"type": "object"}}}},
          "400": {"description": "A missing or unknown field, or what Slack's client would refuse"},
          "404": {"description": "Nothing of that name for this person"},
          "415": {"description": "Not application/json"},
          "503": {"description": "The app is still starting"}, **GUARD}
READS: dict[str, dict[str, Any]] = {
    "workspace": {"as": PERSON},
    "conversation": {"as": PERSON, "channel": ID},
    "thread": {"as": PERSON, "channel": ID, "ts": ID},
    "views": {"as": PERSON},
}
WRITES: dict[str, tuple[str, dict[str, Any], list[str]]] = {
    "compose": ("A line typed: /command text, or a message", {
        "as": PERSON, "channel": ID, "text": TEXT, "thread_ts": ID}, ["as", "channel", "text"]),
    "action": ("A click or a choice on a message's or a view's element", {
        "as": PERSON, "action_id": ID, "value": {"type": ["string", "null"], "maxLength": 2000},
        "block_id": {"type": ["string", "null"], "maxLength": 255}, "type": ID, "view_id": ID, "channel": ID,
        "ts": ID}, ["as", "action_id"]),
    "submit": ("A modal submitted", {"as": PERSON, "view_id": ID, "values": {"type": "object"}}, ["as"]),
    "close": ("A modal closed", {"as": PERSON, "view_id": ID}, ["as"]),
    "home": ("The App Home opened", {"as": PERSON}, ["as"]),
    "clock": ("The app's clock moved", {"op": ID}, ["op"]),
}


def playground_openapi() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name, params in READS.items():
        paths[f"/playground/api/{name}"] = {"get": {
            "operationId": f"get_{name}", "summary": f"What the page shows: {name}",
            "parameters": [{"name": key, "in": "query", "required": key != "as" or name != "workspace",
                            "schema": schema} for key, schema in params.items()] + [TEAM],
            "responses": ANSWER}}
    for name, (summary, properties, required) in WRITES.items():
        paths[f"/playground/api/{name}"] = {"post": {
            "operationId": f"post_{name}", "summary": summary, "parameters": [TEAM],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": properties, "required": required}}}},
            "responses": ANSWER}}
    return {"openapi": "3.1.0",
            "info": {"title": "Headway playground API", "version": "1.0.0",
                     "description": "The page's own API: for one person on one machine (loopback only)."},
            "paths": paths}
