/*
 * test_webhook_url.c: unit tests for src/core/webhook_url.c (which addresses are internal, and the checks of a
 * subscription's URL: scheme, host, credentials, and internal literals unless the owner allows them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <sys/socket.h>

#include "core/webhook_url.h"

static bool is_private(const char *text)
{
    uint8_t a[16];
    if (inet_pton(AF_INET, text, a) == 1)
        return webhook_url_address_private(AF_INET, a);
    assert_int_equal(inet_pton(AF_INET6, text, a), 1);
    return webhook_url_address_private(AF_INET6, a);
}

static void test_internal_ipv4_ranges_are_private(void **state)
{
    (void)state;
    const char *internal[] = {"0.0.0.0",     "10.0.0.1",       "10.255.255.255", "127.0.0.1",   "127.8.9.10",
                              "100.64.0.1",  "100.127.255.254", "169.254.169.254", "172.16.0.1", "172.31.255.255",
                              "192.168.0.1", "192.0.0.8",      "198.18.0.1",     "224.0.0.1",   "255.255.255.255"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        assert_true(is_private(internal[i]));
    const char *public[] = {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
                            "192.167.1.1", "169.253.1.1", "203.0.113.7", "198.20.0.1", "223.255.255.255"};
    for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++)
        assert_false(is_private(public[i]));
}

static void test_internal_ipv6_ranges_and_embedded_ipv4_are_private(void **state)
{
    (void)state;
    const char *internal[] = {"::", "::1", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "ff02::1",
                              "::ffff:127.0.0.1", "::ffff:10.1.2.3", "64:ff9b::a9fe:a9fe", "::127.0.0.1", "fec0::1"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        assert_true(is_private(internal[i]));
    const char *public[] = {"2001:4860:4860::8888", "2606:4700::1111", "::ffff:8.8.8.8", "fe7f::1"};
    for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++)
        assert_false(is_private(public[i]));
}

static const char *check(const char *url, bool allow, bool *resolve)
{
    char host[256];
    return webhook_url_check(url, allow, host, sizeof(host), resolve);
}

static void test_only_http_and_https_urls_with_a_host_and_no_credentials_pass(void **state)
{
    (void)state;
    bool resolve;
    assert_null(check("https://hooks.example.org/bashgah?x=1", false, &resolve));
    assert_true(resolve);
    assert_null(check("http://203.0.113.7:8080/in", false, &resolve));
    assert_false(resolve); /* a public literal needs no resolving */
    assert_non_null(check("ftp://example.org/x", true, &resolve));
    assert_non_null(check("file:///etc/passwd", true, &resolve));
    assert_non_null(check("gopher://example.org/", true, &resolve));
    assert_non_null(check("http://", true, &resolve));
    assert_non_null(check("example.org/x", true, &resolve));
    assert_non_null(check("http://user:secret@example.org/", true, &resolve));
    assert_non_null(check("http://example.org/#frag", true, &resolve));
    assert_non_null(check(NULL, true, &resolve));
}

static void test_internal_literals_and_localhost_are_refused_unless_allowed(void **state)
{
    (void)state;
    bool resolve;
    const char *refused[] = {"http://127.0.0.1/", "http://localhost:8080/", "http://LocalHost./x",
                             "http://api.localhost/", "http://[::1]:9000/", "http://[fe80::1%25eth0]/",
                             "http://10.0.0.5/", "http://[::ffff:192.168.1.1]/", "http://169.254.169.254/latest"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        const char *why = check(refused[i], false, &resolve);
        assert_non_null(why);
        assert_non_null(strstr(why, "private"));
        assert_null(check(refused[i], true, &resolve));
        assert_false(resolve);
    }
}

static void test_the_host_comes_back_without_brackets(void **state)
{
    (void)state;
    char host[64];
    bool resolve;
    assert_null(webhook_url_check("https://[2001:db8::1]:8443/h", false, host, sizeof(host), &resolve));
    assert_string_equal(host, "2001:db8::1");
    assert_null(webhook_url_check("https://Hooks.Example.org/h", false, host, sizeof(host), &resolve));
    assert_true(resolve);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_internal_ipv4_ranges_are_private),
        cmocka_unit_test(test_internal_ipv6_ranges_and_embedded_ipv4_are_private),
        cmocka_unit_test(test_only_http_and_https_urls_with_a_host_and_no_credentials_pass),
        cmocka_unit_test(test_internal_literals_and_localhost_are_refused_unless_allowed),
        cmocka_unit_test(test_the_host_comes_back_without_brackets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
