"""SSRF checks on callback URLs: scheme, odd literals, every resolved address, the operator's allow-list."""
import pytest

from exchange.webhooks.ssrf import CallbackRefused, check_callback_url


def resolver(table):
    return lambda host, port: table.get(host, [])


PUBLIC = resolver({"partner.example.cn": ["203.0.113.7".replace("203.0.113.7", "8.8.8.8")]})


def refused(url, *, production=True, allow=(), resolve=PUBLIC):
    with pytest.raises(CallbackRefused) as e:
        check_callback_url(url, production=production, allow_list=allow, resolve=resolve)
    assert e.value.message and e.value.message_zh
    return e.value.rule


def test_public_https_host_accepted():
    assert check_callback_url("https://partner.example.cn/hook", production=True, resolve=PUBLIC) == ["8.8.8.8"]


@pytest.mark.parametrize("url", ["ftp://partner.example.cn/x", "file:///etc/passwd", "gopher://x/"])
def test_other_schemes_refused(url):
    assert refused(url) in ("scheme_not_allowed", "host_missing")


def test_http_refused_in_production_even_when_allow_listed():
    assert refused("http://127.0.0.1:8080/h", allow=["127.0.0.1"]) == "https_required"


def test_http_allowed_outside_production_only_for_allow_listed():
    assert check_callback_url("http://127.0.0.1:8080/h", production=False, allow_list=["127.0.0.1/32"]) == ["127.0.0.1"]
    assert refused("http://partner.example.cn/h", production=False) == "https_required"


@pytest.mark.parametrize("url,rule", [
    ("https://127.0.0.1/", "loopback_address"),
    ("https://[::1]/", "loopback_address"),
    ("https://[::ffff:127.0.0.1]/", "loopback_address"),
    ("https://10.1.2.3/", "private_address"),
    ("https://192.168.0.1/", "private_address"),
    ("https://172.16.0.1/", "private_address"),
    ("https://100.64.0.1/", "private_address"),
    ("https://169.254.1.1/", "link_local_address"),
    ("https://169.254.169.254/latest/meta-data", "metadata_address"),
    ("https://100.100.100.200/", "metadata_address"),
    ("https://metadata.google.internal/", "metadata_address"),
    ("https://[fe80::1]/", "link_local_address"),
    ("https://224.0.0.1/", "multicast_address"),
    ("https://0.0.0.0/", "reserved_address"),
    ("https://240.0.0.1/", "reserved_address"),
])
def test_internal_addresses_refused(url, rule):
    assert refused(url) == rule


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0x7f.1", "017700000001", "0177.0.0.1", "127.1",
                                  "127.000.000.001"])
def test_odd_ip_literals_refused(host):
    assert refused(f"https://{host}/") == "odd_ip_literal"


def test_every_resolved_address_is_checked():
    mixed = resolver({"rebind.example.cn": ["8.8.8.8", "10.0.0.5"]})
    assert refused("https://rebind.example.cn/", resolve=mixed) == "private_address"


def test_unresolvable_host_refused():
    assert refused("https://nowhere.example.cn/", resolve=resolver({})) == "host_unresolvable"


def test_credentials_in_url_refused():
    assert refused("https://user:pw@partner.example.cn/") == "credentials_in_url"


def test_allow_list_by_network_admits_private_receiver():
    lan = resolver({"recv.lan": ["10.9.0.4"]})
    assert check_callback_url("https://recv.lan/h", production=True, allow_list=["10.9.0.0/16"], resolve=lan)
    assert refused("https://recv.lan/h", allow=["10.8.0.0/16"], resolve=lan) == "private_address"


def test_allow_list_by_host_name():
    lan = resolver({"recv.lan": ["10.9.0.4"]})
    assert check_callback_url("https://recv.lan/h", production=True, allow_list=["recv.lan"], resolve=lan)
