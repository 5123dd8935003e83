"""Lists of trusted proxies: addresses and CIDR networks, parsed once per list."""

from __future__ import annotations

import ipaddress
from functools import cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_network(entry: str) -> Network:
    """Return the network ``entry`` names: one address, or a CIDR network.

    Raise ``ValueError`` with a message naming the entry if it is neither, or if it has
    host bits set (``10.0.0.1/8``), which is more likely a typo than a wish.
    """
    return ipaddress.ip_network(entry.strip())


def parse_address(text: str) -> Address | None:
    """Return the address ``text`` names, IPv4-mapped IPv6 as IPv4; None if it names none.

    A dual-stack socket reports IPv4 peers as ``::ffff:a.b.c.d``; they are the IPv4 address.
    """
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


@cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            network = parse_network(entry)
        except ValueError:
            continue  # the system checks report bad entries; here they trust nobody
        if network.prefixlen > 0:  # "everyone" is refused by the checks, and here too
            networks.append(network)
    return tuple(networks)


def networks_of(entries: object) -> tuple[Network, ...]:
    """Return the networks of a setting's list of entries, parsed once per distinct list.

    A setting that is not a list or tuple trusts nobody; so do entries that are not strings,
    do not parse, or are "everyone" (``/0``): the system checks report them at start-up.
    """
    if not isinstance(entries, list | tuple):
        return ()
    return _networks(tuple(entry for entry in entries if isinstance(entry, str)))


def in_networks(address: str | Address | None, entries: object) -> bool:
    """Return True if ``address`` (text or parsed) is within one of the networks ``entries``
    names. An empty, missing or malformed address is within none."""
    if isinstance(address, str):
        address = parse_address(address)
    if address is None:
        return False
    return any(address in network for network in networks_of(entries))
