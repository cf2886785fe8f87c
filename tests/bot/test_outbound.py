"""The outbound policy for addresses people type. Addresses other than loopback are classified, never connected to:
the checks run where the address is resolved and classified (GuardedTransport before its inner transport), and
the inner transport here records every request it would have sent. Through Slack, `/headway mlflow` with such an
address is refused before any connection and links nothing."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from bot.config import ConfigError, load_settings
from bot.experiments.mlflow_client import MlflowClient, MlflowError
from bot.models import MlflowLink
from bot.outbound import GuardedTransport, OutboundPolicy, OutboundRefused, classify, parse_allow_list
from tests.conftest import CHANNEL, PM
from tests.handlers.test_projects import create, make_pm
from tests.support import all_text, rows

ip = ipaddress.ip_address


@pytest.mark.parametrize(("address", "kind"), [
    ("169.254.169.254", "metadata"), ("169.254.0.1", "metadata"), ("fd00:ec2::254", "metadata"),
    ("fe80::1", "metadata"), ("::ffff:169.254.169.254", "metadata"),
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
    ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"), ("::", "unspecified"),
    ("224.0.0.1", "not an address"), ("240.0.0.1", "not an address"),
])
def test_addresses_off_limits_by_default(address, kind):
    assert kind in classify(ip(address))


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.10", "172.16.5.4", "93.184.216.34", "2001:db8::1"])
def test_ordinary_and_private_addresses_are_fine(address):
    assert classify(ip(address)) is None


def test_a_name_is_refused_if_any_of_its_addresses_is_off_limits():
    policy = OutboundPolicy()
    policy.check("mlflow.internal", 5000, [ip("10.0.0.5")])
    with pytest.raises(OutboundRefused, match="mlflow.internal: it is a link-local or cloud metadata address"):
        policy.check("mlflow.internal", 5000, [ip("10.0.0.5"), ip("169.254.169.254")])


def test_an_operator_allows_hosts_ports_and_networks():
    policy = OutboundPolicy(allow=parse_allow_list("127.0.0.1:5000, mlflow.local, 169.254.10.0/24"))
    policy.check("127.0.0.1", 5000, [ip("127.0.0.1")])
    policy.check("mlflow.local", 80, [ip("127.0.0.1")])
    policy.check("meta", 80, [ip("169.254.10.7")])
    with pytest.raises(OutboundRefused):
        policy.check("127.0.0.1", 5001, [ip("127.0.0.1")])  # only port 5000 was allowed
    with pytest.raises(OutboundRefused):
        policy.check("meta", 80, [ip("169.254.169.254")])  # outside the allowed /24


def test_headways_own_port_needs_the_port_named():
    policy = OutboundPolicy(allow=parse_allow_list("127.0.0.0/8"), own_ports={3000}, own_hosts={"headway.example"})
    policy.check("127.0.0.1", 5000, [ip("127.0.0.1")])
    with pytest.raises(OutboundRefused, match="Headway's own address.*HEADWAY_OUTBOUND_ALLOW=127.0.0.1:3000"):
        policy.check("127.0.0.1", 3000, [ip("127.0.0.1")])
    with pytest.raises(OutboundRefused, match="own address"):
        policy.check("headway.example", 3000, [ip("10.9.9.9")])
    OutboundPolicy(allow=parse_allow_list("127.0.0.1:3000"), own_ports={3000}).check("127.0.0.1", 3000,
                                                                                      [ip("127.0.0.1")])


@pytest.mark.parametrize("entry", ["not a host", "10.0.0.0/33", "host:99999", "::1/200"])
def test_a_bad_allow_entry_stops_startup_naming_the_variable(entry):
    with pytest.raises(ConfigError, match="HEADWAY_OUTBOUND_ALLOW is invalid"):
        load_settings(outbound_allow=entry)


class Recorder(httpx.AsyncBaseTransport):
    """Stands where the network would be: what would have been sent, and a canned answer."""

    def __init__(self, answer: httpx.Response) -> None:
        self.sent: list[str] = []
        self.answer = answer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(str(request.url))
        return self.answer


def guarded(answer: httpx.Response, **policy: object) -> tuple[httpx.AsyncClient, Recorder]:
    recorder = Recorder(answer)
    client = httpx.AsyncClient(transport=GuardedTransport(OutboundPolicy(**policy), recorder), follow_redirects=True)
    return client, recorder


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
                                 "http://127.0.0.1:22/", "http://localhost:8080/", "http://0.0.0.0/",
                                 "http://[::ffff:169.254.169.254]/"])
async def test_refused_before_any_connection(url):
    client, recorder = guarded(httpx.Response(200, json={}))
    async with client:
        with pytest.raises(OutboundRefused):
            await client.get(url)
    assert recorder.sent == []


async def test_a_redirect_to_the_metadata_address_is_refused():
    client, recorder = guarded(httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"}))
    async with client:
        with pytest.raises(OutboundRefused, match="169.254.169.254"):
            await client.get("http://10.1.2.3:5000/api/2.0/mlflow/experiments/get-by-name")
    assert recorder.sent == ["http://10.1.2.3:5000/api/2.0/mlflow/experiments/get-by-name"]


async def test_answers_are_size_limited_declared_or_streamed():
    big = httpx.Response(200, headers={"Content-Length": str(10_000)}, content=b"x" * 10_000)
    client, _ = guarded(big, max_bytes=1000)
    async with client:
        with pytest.raises(OutboundRefused, match="more than"):
            await client.get("http://10.1.2.3/")

    async def chunks():
        for _ in range(100):
            yield b"y" * 100

    client, _ = guarded(httpx.Response(200, content=chunks()), max_bytes=1000)
    async with client:
        with pytest.raises(OutboundRefused, match="stopped reading"):
            await client.get("http://10.1.2.3/")


async def test_mlflow_errors_never_echo_the_servers_words():
    answer = httpx.Response(500, json={"error_code": "INTERNAL_ERROR", "message": "<!channel> secret stack trace"})
    recorder = Recorder(answer)
    http = httpx.AsyncClient(transport=GuardedTransport(OutboundPolicy(), recorder))
    async with MlflowClient("http://10.1.2.3:5000", http=http) as client:
        with pytest.raises(MlflowError) as caught:
            await client.experiment_by_name("fraud")
    await http.aclose()
    assert "answered HTTP 500 to experiments/get-by-name (INTERNAL_ERROR)" in str(caught.value)
    assert "secret" not in str(caught.value) and "<!channel>" not in str(caught.value)


async def test_the_mlflow_client_refuses_metadata_by_default():
    async with MlflowClient("http://169.254.169.254") as client:
        with pytest.raises(MlflowError, match="link-local or cloud metadata"):
            await client.experiment_by_name("fraud")


@pytest.mark.parametrize("url", ["http://169.254.169.254", "http://[fd00:ec2::254]:80", "http://127.0.0.1:5000",
                                 "http://localhost:5000"])
async def test_linking_mlflow_to_a_forbidden_address_is_refused_and_links_nothing(slack, emulator, clean_database,
                                                                                  url):
    await make_pm(slack)
    await create(slack, emulator)
    result = await slack.slash_command(PM, "/headway", f'mlflow FRAUD {url} "fraud model" recall',
                                       channel_id=CHANNEL)
    answer = all_text((await result.wait_for_response(timeout=10))["blocks"])
    assert "Nothing was linked: Headway does not call" in answer and "HEADWAY_OUTBOUND_ALLOW" in answer
    assert await rows(clean_database, MlflowLink) == []
