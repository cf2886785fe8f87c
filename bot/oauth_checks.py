"""`headway check` for "Add to Slack": the client id/secret pair and the redirect URL, asked of Slack itself.

- The pair: `oauth.v2.access` with a made-up code. Slack checks the client first (`invalid_client_id`,
  `bad_client_secret`) and the code after, so `invalid_code` means the pair is right
  (https://docs.slack.dev/reference/methods/oauth.v2.access, errors).
- The redirect URL: Slack's authorize page refuses a `redirect_uri` that matches none of the app's Redirect URLs
  (https://docs.slack.dev/authentication/installing-with-oauth, "Using the redirect_uri parameter").
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.manifest import BOT_SCOPES
from bot.oauth import oauth_client

CHECK_CODE = "headway-check-not-a-code"


async def oauth_checks(settings: Settings) -> list:
    from bot.checks import Check

    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else ""
    try:
        await oauth_client(settings).oauth_v2_access(client_id=str(settings.slack_client_id), client_secret=secret,
                                                      code=CHECK_CODE, redirect_uri=settings.oauth_redirect_url)
        pair = Check("Slack app credentials", False, "Slack accepted a made-up code: is SLACK_API_URL Slack?")
    except SlackApiError as error:
        code = error.response.get("error", "error")
        if code == "invalid_client_id":
            pair = Check("Slack app credentials", False, "SLACK_CLIENT_ID was refused by Slack: copy the Client ID "
                                                         "from your app's Basic Information page")
        elif code == "bad_client_secret":
            pair = Check("Slack app credentials", False, "SLACK_CLIENT_SECRET does not belong to SLACK_CLIENT_ID: "
                                                         "copy the Client Secret from Basic Information")
        else:
            pair = Check("Slack app credentials", True, f"client id {settings.slack_client_id} and its secret")
    except Exception as error:
        return [Check("Slack app credentials", False, f"cannot reach Slack at SLACK_API_URL {settings.slack_api_url} "
                                                      f"({type(error).__name__}: {str(error)[:120]})")]
    return [pair, await redirect_check(settings)]


async def redirect_check(settings: Settings):
    from bot.checks import Check

    redirect = settings.oauth_redirect_url
    if not redirect.startswith("https://") and "://127.0.0.1" not in redirect and "://localhost" not in redirect:
        return Check("redirect URL", False, f"{redirect} is not https: Slack only redirects to https addresses; "
                                            "set HEADWAY_PUBLIC_URL to Headway's public https address")
    params = {"client_id": str(settings.slack_client_id), "scope": ",".join(BOT_SCOPES), "redirect_uri": redirect}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, session.get(
                settings.slack_authorization_url, params=params, allow_redirects=False) as answer:
            status = answer.status
    except Exception as error:
        return Check("redirect URL", False, f"cannot reach SLACK_AUTHORIZATION_URL {settings.slack_authorization_url}"
                                            f" ({type(error).__name__})")
    if 400 <= status < 500:
        return Check("redirect URL", False, f"Slack refuses {redirect}: add it under OAuth & Permissions → Redirect "
                                            "URLs (`headway manifest --oauth` prints it)")
    return Check("redirect URL", True, f"{redirect} (install page: {settings.base_url}/slack/install)")
