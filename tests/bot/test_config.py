import pytest

from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL",
                 "HEADWAY_HOST", "HEADWAY_PORT", "HEADWAY_LIFECYCLE", "HEADWAY_TEMPLATES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults():
    s = load_settings()
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.database_url == "sqlite+aiosqlite:///headway.db"
    assert (s.host, s.port) == ("127.0.0.1", 3000)


def test_environment_and_dotenv(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nHEADWAY_PORT=4000\n")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/headway")
    s = load_settings()
    assert s.slack_bot_token.get_secret_value() == "xoxb-from-dotenv"
    assert s.port == 4000
    assert s.slack_api_url == "http://127.0.0.1:9/api/"  # trailing slash added
    assert s.database_url == "postgresql+asyncpg://u@db/headway"
    assert "xoxb" not in repr(s)  # secrets never print


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HEADWAY_PORT", "abc", "HEADWAY_PORT is invalid"),
        ("HEADWAY_PORT", "70000", "HEADWAY_PORT is invalid"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL is invalid"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL is invalid"),
        ("HEADWAY_LIFECYCLE", "/nope/team.yaml", "HEADWAY_LIFECYCLE is invalid"),
        ("HEADWAY_TEMPLATES_DIR", "/nope", "HEADWAY_TEMPLATES_DIR is invalid"),
    ],
)
def test_invalid_values_name_the_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_serving_needs_slack_credentials(monkeypatch):
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is not set"):
        load_settings().require_slack()
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        load_settings().require_slack()
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    load_settings().require_slack()
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN is not set"):
        load_settings().require_slack(socket_mode=True)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-wrong-kind")
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN is invalid"):
        load_settings().require_slack(socket_mode=True)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token")
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN is invalid"):
        load_settings().require_slack()
