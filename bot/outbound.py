"""Outbound HTTP to addresses people type (the MLflow tracking URL today): never a way into the host.

Anyone who may link a project could otherwise make Headway fetch its cloud metadata (169.254.169.254,
fd00:ec2::254), services on loopback, or Headway's own port. Every request (and every redirect hop, since httpx
sends each one through the transport) resolves its host first and classifies each address before any connection:
link-local/metadata, loopback, unspecified, multicast and reserved addresses, and Headway's own port, are refused
unless the operator allows them in HEADWAY_OUTBOUND_ALLOW (hosts, `host:port`, or CIDRs, comma-separated). Private
ranges (10/8, 192.168/16…) stay allowed: that is where tracking servers live. Answers are cut off past `max_bytes`
and `seconds` so a hostile server cannot hold memory or a worker.

The check resolves the name itself and httpx resolves it again to connect; a DNS answer that changes in between
(rebinding) is the remaining gap, closed only by a network egress policy.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.errors import HeadwayError

if TYPE_CHECKING:
    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fd00:ec2::254/128"),
            ipaddress.ip_network("fe80::/10"))
MAX_BYTES = 16 * 1024 * 1024
MAX_SECONDS = 60.0


class OutboundRefused(HeadwayError):
    """An address Headway will not call; the message says why and how an operator can allow it."""


@dataclass(frozen=True)
class Allowed:
    """One HEADWAY_OUTBOUND_ALLOW entry: a host name or a network, optionally limited to one port."""

    host: str | None = None
    network: IPNetwork | None = None
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> Allowed:
        entry = entry.strip().lower()
        if "/" in entry:
            return cls(network=ipaddress.ip_network(entry, strict=False))
        port: int | None = None
        if entry.startswith("["):  # [::1]:5000
            host, _, rest = entry[1:].partition("]")
            port = int(rest.removeprefix(":")) if rest else None
            entry = host
        elif entry.count(":") == 1:
            entry, _, number = entry.partition(":")
            port = int(number)
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"port out of range in {entry!r}")
        try:
            return cls(network=ipaddress.ip_network(entry), port=port)
        except ValueError:
            if not entry or any(c.isspace() for c in entry):
                raise ValueError(f"not a host or CIDR: {entry!r}") from None
            return cls(host=entry, port=port)

    def matches(self, host: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return self.host == host.lower()
        return self.network is not None and address in self.network


def parse_allow_list(text: str) -> tuple[Allowed, ...]:
    """`HEADWAY_OUTBOUND_ALLOW`: e.g. `127.0.0.1:5000, mlflow.local, 169.254.10.0/24` (ValueError names the bad
    entry)."""
    return tuple(Allowed.parse(entry) for entry in text.split(",") if entry.strip())


def classify(address: IPAddress) -> str | None:
    """Why an address is off limits by default, or None when it is an ordinary unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in METADATA) or address.is_link_local:
        return "a link-local or cloud metadata address"
    if address.is_loopback:
        return "a loopback address (this machine)"
    if address.is_unspecified or (isinstance(address, ipaddress.IPv4Address) and address.packed[0] == 0):
        return "an unspecified address (this machine)"
    if address.is_multicast or address.is_reserved:
        return "not an address Headway can call"
    return None


@dataclass
class OutboundPolicy:
    """Which addresses outbound calls may reach. `own_ports`/`own_hosts` are where Headway itself listens."""

    allow: tuple[Allowed, ...] = ()
    own_ports: set[int] = field(default_factory=set)
    own_hosts: set[str] = field(default_factory=set)
    max_bytes: int = MAX_BYTES
    seconds: float = MAX_SECONDS

    @classmethod
    def from_settings(cls, settings: Any) -> OutboundPolicy:
        own_hosts = {settings.host.lower()} if settings.host not in ("0.0.0.0", "::", "") else set()
        public = urlsplit(settings.public_url).hostname if settings.public_url else None
        if public:
            own_hosts.add(public.lower())
        return cls(allow=parse_allow_list(settings.outbound_allow), own_ports={settings.port} - {0},
                   own_hosts=own_hosts)

    def check(self, host: str, port: int, addresses: Iterable[IPAddress]) -> None:
        """Refuse (OutboundRefused) if any address `host` resolves to is off limits and not allowed."""
        host = host.lower().strip("[]")
        addresses = list(addresses)
        own = port in self.own_ports and (host in self.own_hosts or any(
            a.is_loopback or a.is_unspecified for a in addresses))
        for address in addresses:
            reason = "Headway's own address" if own else classify(address)
            if reason is None:
                continue
            if not any(entry.matches(host, address, port) and (entry.port is not None or not own)
                       for entry in self.allow):
                raise OutboundRefused(
                    f"Headway does not call {host}: it is {reason}. If that is really your server, an operator "
                    f"can allow it with HEADWAY_OUTBOUND_ALLOW={host}:{port}.")

    async def check_url(self, url: httpx.URL) -> None:
        """Resolve and check one URL's host; a name that does not resolve is a connection error."""
        if url.scheme not in ("http", "https") or not url.host:
            raise OutboundRefused(f"Headway only calls http(s) addresses, not {str(url)[:80]!r}.")
        port = url.port or (443 if url.scheme == "https" else 80)
        self.check(url.host, port, await resolve(url.host, port))

    def client(self, **options: Any) -> httpx.AsyncClient:
        """An httpx client whose every request and redirect is checked, and whose answers are capped."""
        import httpx

        from bot.outbound_transport import GuardedTransport

        return httpx.AsyncClient(transport=GuardedTransport(self), **options)


async def resolve(host: str, port: int) -> list[IPAddress]:
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        import httpx

        raise httpx.ConnectError(f"cannot resolve {host}: {error.strerror or error}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def __getattr__(name: str) -> Any:
    """httpx (and the CLI libraries it pulls in) load when an outbound call is first made, not at startup."""
    if name == "GuardedTransport":
        from bot.outbound_transport import GuardedTransport

        return GuardedTransport
    raise AttributeError(name)
