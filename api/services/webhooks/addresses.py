"""Where a webhook may be delivered: the address checked as resolved, at connect time.

A name is resolved when a delivery is sent, every address it resolves to is checked,
and the connection goes to a checked address (never to a second resolution, which could
answer otherwise). Only global unicast addresses pass: loopback, private, link-local,
shared, reserved, multicast and unspecified ones are refused, IPv4 and IPv6 alike (an
IPv4-mapped IPv6 address as the IPv4 address it maps), unless private delivery is allowed
(a deployment whose receivers are on its own network).
"""

from __future__ import annotations

import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(Exception):
    """The webhook's address may not be delivered to (nothing was sent)."""


def kind_of(address: IPAddress) -> str | None:
    """Why ``address`` is not a public one (``"loopback"``, ``"private"``…), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "site-local"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "reserved"
    return None


def literal(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one (``[::1]`` too), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check(host: str, address: IPAddress, *, allow_private: bool) -> None:
    """Raise :class:`DestinationRefused` unless ``address`` (of ``host``) may be used."""
    kind = kind_of(address)
    if kind is not None and not allow_private:
        named = "" if literal(host) is not None else f"{host} resolves to "
        raise DestinationRefused(
            f"{named}{address}, a {kind} address: webhooks are delivered to public addresses "
            "only (ZONECUT_WEBHOOK_ALLOW_PRIVATE)"
        )


def resolve(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """Every address ``host`` resolves to, each checked; refused if any fails the check
    (a name that also points inside is not delivered to at all)."""
    given = literal(host)
    if given is not None:
        check(host, given, allow_private=allow_private)
        return [given]
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DestinationRefused(f"{host} cannot be resolved: {exc.strerror or exc}") from exc
    addresses: list[IPAddress] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        check(host, address, allow_private=allow_private)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise DestinationRefused(f"{host} resolves to no address")
    return addresses
