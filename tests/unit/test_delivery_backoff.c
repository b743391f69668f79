/*
 * test_delivery_backoff.c: unit tests for src/jobs/delivery_backoff.c (the wait before a retry: doubling from the
 * base, capped, with equal jitter between half and all of it; quiet hours, wrapping midnight or not).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jobs/delivery.h"

#define BASE 30000
#define MAX 3600000

static void test_waits_double_from_the_base_up_to_the_cap(void **state)
{
    (void)state;
    /* random 0 gives the fixed half; a random of exactly half + 0 mod (half+1) gives the full wait */
    int64_t want[] = {30000, 60000, 120000, 240000, 480000, 960000, 1920000, 3600000, 3600000};
    for (int a = 1; a <= 9; a++) {
        int64_t full = want[a - 1];
        assert_int_equal(delivery_backoff_ms(a, BASE, MAX, 0), full - full / 2);
        assert_int_equal(delivery_backoff_ms(a, BASE, MAX, (uint32_t)(full / 2)), full);
    }
}

static void test_jitter_stays_between_half_and_all_of_the_wait(void **state)
{
    (void)state;
    uint32_t r = 2463534242u;
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 10000; i++) {
        r ^= r << 13, r ^= r >> 17, r ^= r << 5; /* xorshift32 */
        int64_t w = delivery_backoff_ms(3, BASE, MAX, r);
        assert_true(w >= 60000 && w <= 120000);
        lo = w < lo ? w : lo;
        hi = w > hi ? w : hi;
    }
    /* it spreads: both ends of the range are nearly reached */
    assert_true(lo < 61000);
    assert_true(hi > 119000);
}

static void test_huge_attempt_numbers_do_not_overflow(void **state)
{
    (void)state;
    assert_int_equal(delivery_backoff_ms(1000000, BASE, MAX, 0), MAX / 2);
    assert_int_equal(delivery_backoff_ms(0, BASE, MAX, 0), BASE / 2);
}

static void test_quiet_hours_wrap_midnight_or_not(void **state)
{
    (void)state;
    int night[24] = {0}, lunch[24] = {0};
    for (int h = 0; h < 24; h++) {
        night[h] = delivery_quiet_hour(h, 21, 8);
        lunch[h] = delivery_quiet_hour(h, 12, 14);
        assert_false(delivery_quiet_hour(h, 9, 9)); /* equal ends: no quiet hours */
    }
    int want_night[24] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    int want_lunch[24] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(night, want_night, sizeof(night));
    assert_memory_equal(lunch, want_lunch, sizeof(lunch));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waits_double_from_the_base_up_to_the_cap),
        cmocka_unit_test(test_jitter_stays_between_half_and_all_of_the_wait),
        cmocka_unit_test(test_huge_attempt_numbers_do_not_overflow),
        cmocka_unit_test(test_quiet_hours_wrap_midnight_or_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
