from proxy.http.client_ip import ClientIP


def test_untrusted_peer_ignores_forwarded_for() -> None:
    resolver = ClientIP([])
    assert resolver.resolve("203.0.113.9", "1.2.3.4") == "203.0.113.9"
    resolver = ClientIP(["10.0.0.0/8"])
    assert resolver.resolve("203.0.113.9", "1.2.3.4") == "203.0.113.9"


def test_trusted_peer_takes_first_untrusted_hop_from_the_right() -> None:
    resolver = ClientIP(["10.0.0.0/8", "127.0.0.1"])
    assert resolver.resolve("127.0.0.1", "1.2.3.4") == "1.2.3.4"
    # the client forged "6.6.6.6"; the real client is what our proxies saw
    assert resolver.resolve("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.1") == "1.2.3.4"
    # only trusted hops: the peer stands
    assert resolver.resolve("10.0.0.2", "10.0.0.3") == "10.0.0.2"
    # garbage in the first untrusted hop is not believed
    assert resolver.resolve("10.0.0.2", "not-an-ip") == "10.0.0.2"
    assert resolver.resolve("10.0.0.2", None) == "10.0.0.2"


def test_ipv6_limit_key_is_the_slash_64() -> None:
    assert ClientIP.limit_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert ClientIP.limit_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert ClientIP.limit_key("192.0.2.1") == "192.0.2.1"
