/* test_netaddr.c - CIDR parsing and the client address behind proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "presignd/netaddr.h"

static struct netaddr addr(const char *s)
{
    struct netaddr a;

    assert_int_equal(netaddr_parse(&a, s), PD_OK);
    return a;
}

static const char *client(const char *peer, const char *xff,
                          const char *const *cidrs, size_t n)
{
    static char out[NETADDR_TEXT_MAX];
    struct netaddr_cidr trusted[4];
    struct netaddr p = addr(peer), c;

    for (size_t i = 0; i < n; i++)
        assert_int_equal(netaddr_cidr_parse(&trusted[i], cidrs[i], NULL),
                         PD_OK);
    c = netaddr_client(&p, xff, trusted, n);
    netaddr_format(&c, out);
    return out;
}

static void cidr_membership_v4_and_v6(void **state)
{
    struct netaddr_cidr c;
    struct netaddr a = addr("10.1.2.3"), b = addr("10.2.0.1");

    (void)state;
    assert_int_equal(netaddr_cidr_parse(&c, "10.1.0.0/16", NULL), PD_OK);
    assert_true(netaddr_in_cidr(&a, &c));
    assert_false(netaddr_in_cidr(&b, &c));
    assert_int_equal(netaddr_cidr_parse(&c, "fd00::/8", NULL), PD_OK);
    a = addr("fd12::1");
    assert_true(netaddr_in_cidr(&a, &c));
    a = addr("::1");
    assert_false(netaddr_in_cidr(&a, &c));
}

static void bad_cidrs_are_refused(void **state)
{
    struct netaddr_cidr c;
    struct pd_err err;
    const char *bad[] = {"",          "10.0.0.0/33", "10.0.0.1/8", "x/8",
                         "10.0.0.0/", "::/129",      "10.0.0.0/-1"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(netaddr_cidr_parse(&c, bad[i], &err), PD_EINVAL);
}

static void forwarded_for_trusted_only(void **state)
{
    const char *lo[] = {"127.0.0.1/32"};
    const char *two[] = {"127.0.0.1/32", "10.0.0.0/8"};

    (void)state;
    /* Untrusted peer: the header is ignored. */
    assert_string_equal(client("192.0.2.9", "203.0.113.7", lo, 1), "192.0.2.9");
    /* Trusted peer: the rightmost untrusted hop. */
    assert_string_equal(client("127.0.0.1", "203.0.113.7", lo, 1),
                        "203.0.113.7");
    assert_string_equal(
        client("127.0.0.1", "1.1.1.1, 203.0.113.7, 10.0.0.5", two, 2),
        "203.0.113.7");
    /* Garbage stops the walk at the last good address. */
    assert_string_equal(client("127.0.0.1", "evil, 10.0.0.5", two, 2),
                        "10.0.0.5");
    assert_string_equal(client("127.0.0.1", NULL, lo, 1), "127.0.0.1");
    assert_string_equal(client("127.0.0.1", "", lo, 1), "127.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cidr_membership_v4_and_v6),
        cmocka_unit_test(bad_cidrs_are_refused),
        cmocka_unit_test(forwarded_for_trusted_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
