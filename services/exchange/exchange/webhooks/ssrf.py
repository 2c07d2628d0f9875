"""Checks a partner's callback URL against server-side request forgery: scheme, host form and every resolved address."""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Callable, Iterable
from urllib.parse import urlsplit

RULE_VERSION = "webhook-ssrf-1"

# Addresses of cloud metadata services that are not covered by the private/link-local ranges.
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                                ipaddress.ip_address("100.100.100.200")})
METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data"})

# Dotted-quad with exactly four decimal parts; anything else numeric-looking (0x7f.1, 2130706433, 017.0.0.1) is odd.
_DOTTED_QUAD = re.compile(r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$")

Resolver = Callable[[str, int], Iterable[str]]


@dataclass(frozen=True)
class CallbackRefused(ValueError):
    rule: str
    message: str
    message_zh: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({info[4][0] for info in infos})


def _allowed(addr: ipaddress._BaseAddress, host: str, allow_list: Iterable[str]) -> bool:
    for entry in allow_list:
        entry = entry.strip()
        if not entry:
            continue
        try:
            if addr in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            if entry.lower() == host:
                return True
    return False


def _refusal_for(addr: ipaddress._BaseAddress) -> tuple[str, str, str] | None:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr in METADATA_ADDRESSES:
        return "metadata_address", "a cloud metadata address", "云元数据服务地址"
    if addr.is_loopback:
        return "loopback_address", "a loopback address", "环回地址"
    if addr.is_link_local:
        return "link_local_address", "a link-local address", "链路本地地址"
    if addr.is_multicast:
        return "multicast_address", "a multicast address", "组播地址"
    if addr.is_unspecified or addr.is_reserved:
        return "reserved_address", "a reserved address", "保留地址"
    if addr.is_private or not addr.is_global:
        return "private_address", "a private address", "内网地址"
    return None


def check_callback_url(url: str, *, production: bool, allow_list: Iterable[str] = (),
                       resolve: Resolver = system_resolver) -> list[str]:
    """Return the addresses the URL may be delivered to, or raise CallbackRefused naming the rule.

    Called on subscribe and again before every delivery (the host may resolve elsewhere by then)."""
    allow_list = tuple(allow_list)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise CallbackRefused("url_malformed", "The callback URL cannot be parsed.", "回调地址格式无法解析。")
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in ("https", "http"):
        raise CallbackRefused("scheme_not_allowed", "The callback URL must use https.", "回调地址必须使用 https。")
    if not host:
        raise CallbackRefused("host_missing", "The callback URL has no host.", "回调地址缺少主机名。")
    if parts.username is not None or parts.password is not None:
        raise CallbackRefused("credentials_in_url", "The callback URL must not carry a user name or password.",
                              "回调地址不得包含用户名或密码。")
    if scheme == "http" and (production or not _allowed_host_only(host, allow_list)):
        raise CallbackRefused("https_required", "The callback URL must use https.", "回调地址必须使用 https。")
    if host in METADATA_HOSTS:
        raise CallbackRefused("metadata_address", "The callback host is a cloud metadata service.",
                              "回调主机是云元数据服务。")
    port = port or (443 if scheme == "https" else 80)
    literal = _literal(host)
    addresses = [str(literal)] if literal is not None else list(resolve(host, port))
    if not addresses:
        raise CallbackRefused("host_unresolvable", "The callback host does not resolve.", "回调主机名无法解析。")
    for text in addresses:
        addr = ipaddress.ip_address(text.split("%")[0])
        refusal = _refusal_for(addr)
        if refusal and not _allowed(addr, host, allow_list):
            rule, en, zh = refusal
            raise CallbackRefused(rule, f"The callback host resolves to {en} ({addr}); it is refused unless an "
                                  "operator allow-lists it.", f"回调主机解析为{zh}（{addr}），除非运维人员将其列入允许名单，否则拒绝。")
    return addresses


def _allowed_host_only(host: str, allow_list: Iterable[str]) -> bool:
    """http is accepted outside production only for an allow-listed host or address."""
    literal = _literal(host)
    for entry in allow_list:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host:
            return True
        if literal is not None:
            try:
                if literal in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
    return False


def _literal(host: str):
    h = host.strip("[]")
    if ":" in h:
        try:
            return ipaddress.IPv6Address(h.split("%")[0])
        except ValueError:
            raise CallbackRefused("odd_ip_literal", "The callback host is not a valid IPv6 address.",
                                  "回调主机不是有效的 IPv6 地址。")
    if _DOTTED_QUAD.match(h):
        if any(len(p) > 1 and p.startswith("0") for p in h.split(".")):
            raise CallbackRefused("odd_ip_literal", "The callback host is an IP address with leading zeros.",
                                  "回调主机是带前导零的 IP 地址。")
        return ipaddress.IPv4Address(h)
    labels = [label for label in h.split(".") if label]
    if labels and all(re.fullmatch(r"0x[0-9a-f]*|[0-9]+", label, re.IGNORECASE) for label in labels):
        raise CallbackRefused("odd_ip_literal", "The callback host is an IP address in an unusual form "
                              "(octal, hexadecimal or integer); write it as a dotted quad.",
                              "回调主机是非常规写法的 IP 地址（八进制、十六进制或整数），请写成点分十进制。")
    return None
