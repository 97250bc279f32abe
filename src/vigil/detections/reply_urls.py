"""Reply (redirect) URLs that send authorization codes or tokens somewhere an attacker controls.

Classes, strongest first: ``rawIp`` (an IP literal that is not loopback), ``tunnel`` (a
tunnelling service: ngrok, Cloudflare quick tunnels, localtunnel, ...), ``dynamicDns`` (free
dynamic-DNS zones), ``localhost`` (loopback: normal for a developer's own app, odd for a
multi-tenant app offered to other tenants) and ``insecureHttp`` (plain ``http`` to a public host).
The domain lists are suffix lists: ``x.trycloudflare.com`` is a tunnel.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

TUNNEL_SUFFIXES = (
    "trycloudflare.com", "ngrok.io", "ngrok.app", "ngrok.dev", "ngrok-free.app", "ngrok-free.dev",
    "loca.lt", "localtunnel.me", "serveo.net", "serveousercontent.com", "localhost.run",
    "lhr.life", "lhr.rocks", "pagekite.me", "tunnelmole.net", "pinggy.link", "pinggy.online",
    "bore.pub", "telebit.io", "devtunnels.ms", "tunnelto.dev", "localxpose.io", "loclx.io",
)
DYNAMIC_DNS_SUFFIXES = (
    "duckdns.org", "ddns.net", "no-ip.org", "no-ip.biz", "no-ip.info", "noip.me", "hopto.org",
    "zapto.org", "sytes.net", "myftp.org", "myftp.biz", "serveftp.com", "servehttp.com",
    "redirectme.net", "bounceme.net", "dynu.net", "dynu.com", "dyndns.org", "dyndns.biz",
    "dynv6.net", "freeddns.org", "mooo.com", "chickenkiller.com", "afraid.org", "changeip.com",
    "3utilities.com", "gotdns.ch", "ddnsking.com", "ddns.me", "dnsalias.net", "dynalias.com",
)
#: Weight of each class in the suspiciousApplication score.
WEIGHTS = {"rawIp": 2, "tunnel": 2, "dynamicDns": 2, "localhost": 1, "insecureHttp": 1}


def _under(host: str, suffixes: tuple[str, ...]) -> bool:
    return any(host == s or host.endswith("." + s) for s in suffixes)


def classify(url: str) -> str | None:
    """The class of a reply URL, or None when nothing is odd about it."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    if not host:
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        return "localhost" if ip.is_loopback or ip.is_unspecified else "rawIp"
    if host == "localhost" or host.endswith(".localhost"):
        return "localhost"
    if _under(host, TUNNEL_SUFFIXES):
        return "tunnel"
    if _under(host, DYNAMIC_DNS_SUFFIXES):
        return "dynamicDns"
    if parts.scheme.lower() == "http":
        return "insecureHttp"
    return None
