"""Where a webhook (or a notification robot's address) may point: outside the platform's own network.

An address whose host is, or resolves to, a loopback, private (RFC 1918, fc00::/7), link-local (169.254.0.0/16 with
the clouds' metadata service 169.254.169.254, fe80::/10), shared (100.64.0.0/10), multicast, reserved or
unspecified address — anything Python's `ipaddress` does not call global — is refused, unless the park's admin put
a network holding it on the park's allow-list (`automation_network_allow`). Every address a name resolves to is
checked (a name with one inside address is refused). Saving a rule checks literal addresses and `localhost`;
the call checks again with the name resolved just before it is made, and connects to the address it checked
(`pin`: the request goes to that IP with the name in its Host header and, for https, as the TLS server name, so the
certificate is still checked against the name) — a DNS answer changed between the check and the connection
(rebinding) cannot point the call inside. Redirects are never followed."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
REFUSED = "the address is inside the platform's network ({address}); the park's admin may allow it"


def network_of(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An allow-list entry: an address or a network in CIDR notation (ValueError when it is neither)."""
    return ipaddress.ip_network(text.strip(), strict=False)


def _resolve(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


def _plain(address: IpAddress) -> IpAddress:
    """An IPv4-mapped IPv6 address as the IPv4 address it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def inside(address: IpAddress) -> bool:
    return not _plain(address).is_global


def _allowed(address: IpAddress, allowed: Iterable[str]) -> bool:
    plain = _plain(address)
    for entry in allowed:
        network = network_of(entry)
        if plain.version == network.version and plain in network:
            return True
    return False


def host_port(url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").strip()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    return host, port


def literal_refusal(url: str, allowed: Iterable[str]) -> str | None:
    """The refusal of an address given as an inside IP literal or `localhost` (None: not refused by this check)."""
    host, port = host_port(url)
    if not host or not port:
        return "not an address with a host and port"
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return None if _allowed(ipaddress.ip_address("127.0.0.1"), allowed) else REFUSED.format(address=host)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if inside(address) and not _allowed(address, allowed):
        return REFUSED.format(address=address)
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class Pinned:
    """A request to the address that was checked: `url` names the IP; `headers` and `extensions` carry the name."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, Any]


def pin(url: str, allowed: Iterable[str], *, resolve: Resolver | None = None) -> Pinned | str:
    """Resolve the URL's host once and check every address; the request to the first one (a `Pinned`), or why the
    address may not be called (a str): an inside address not allowed, or a name that does not resolve."""
    allowed = list(allowed)
    found = literal_refusal(url, allowed)
    if found is not None:
        return found
    host, port = host_port(url)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return Pinned(url, {}, {})
    try:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in (resolve or _resolve)(host, port)]
    except (OSError, ValueError) as error:
        return f"the name does not resolve: {error}"[:300]
    if not addresses:
        return "the name does not resolve"
    for address in addresses:
        if inside(address) and not _allowed(address, allowed):
            return REFUSED.format(address=address)
    chosen = sorted(addresses, key=lambda a: a.version)[0]  # IPv4 first, as most clients
    parts = urllib.parse.urlsplit(url)
    shown = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    name = f"{host}:{parts.port}" if parts.port else host
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return Pinned(urllib.parse.urlunsplit(parts._replace(netloc=netloc)), {"Host": name}, extensions)


def refusal(url: str, allowed: Iterable[str], *, resolve: Resolver | None = None) -> str | None:
    """Why the address may not be called now (None: it may): an inside address not allowed, or a name that does
    not resolve."""
    found = pin(url, allowed, resolve=resolve)
    return found if isinstance(found, str) else None


def pinned_post(allowed: Iterable[str], *, resolve: Resolver | None = None) -> Callable[..., httpx.Response]:
    """`httpx.post` to the checked address only (see `pin`); a refused address raises PermissionError."""
    allowed = list(allowed)

    def post(url: str, **kwargs: Any) -> httpx.Response:
        target = pin(url, allowed, resolve=resolve)
        if isinstance(target, str):
            raise PermissionError(target)
        headers = {**dict(kwargs.pop("headers", None) or {}), **target.headers}
        with httpx.Client(follow_redirects=False) as client:
            return client.post(target.url, headers=headers, extensions=target.extensions, **kwargs)

    return post
