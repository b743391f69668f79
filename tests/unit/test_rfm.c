/*
 * test_rfm.c: unit tests for src/core/rfm.c (quintile scores with ties, few customers, all equal values,
 * scoring values outside the population with the cuts, the radix sort, and the value estimate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/rfm.h"

#define DAY INT64_C(86400000)
#define NOW INT64_C(1767225600000)

/* Scores values[0..n) into out through the cuts, as the recompute does. */
static void score(const int64_t *values, size_t n, int *out)
{
    int64_t *scratch = malloc(2 * (n ? n : 1) * sizeof(int64_t));
    rfm_cuts c;
    rfm_cuts_of(values, n, scratch, &c);
    for (size_t i = 0; i < n; i++)
        out[i] = rfm_score_one(&c, values[i]);
    free(scratch);
}

static void test_one_to_four_customers(void **state)
{
    (void)state;
    int s[4];
    score((int64_t[]){42}, 1, s);
    assert_int_equal(s[0], 3);
    score((int64_t[]){7, 3}, 2, s);
    assert_int_equal(s[0], 4);
    assert_int_equal(s[1], 2);
    score((int64_t[]){30, 10, 20}, 3, s);
    assert_int_equal(s[0], 5);
    assert_int_equal(s[1], 1);
    assert_int_equal(s[2], 3);
    score((int64_t[]){1, 2, 3, 4}, 4, s);
    assert_int_equal(s[0], 1);
    assert_int_equal(s[1], 2);
    assert_int_equal(s[2], 4);
    assert_int_equal(s[3], 5);
}

static void test_distinct_values_are_exact_quintiles(void **state)
{
    (void)state;
    int64_t v[10] = {100, 90, 80, 70, 60, 50, 40, 30, 20, 10};
    int s[10];
    score(v, 5, s);
    for (int i = 0; i < 5; i++)
        assert_int_equal(s[i], 5 - i);
    score(v, 10, s);
    int want[10] = {5, 5, 4, 4, 3, 3, 2, 2, 1, 1};
    for (int i = 0; i < 10; i++)
        assert_int_equal(s[i], want[i]);
}

static void test_all_equal_values_score_three(void **state)
{
    (void)state;
    int64_t v[7] = {5, 5, 5, 5, 5, 5, 5};
    int s[7];
    score(v, 7, s);
    for (int i = 0; i < 7; i++)
        assert_int_equal(s[i], 3);
}

static void test_ties_get_the_score_of_their_middle_position(void **state)
{
    (void)state;
    /* six customers with one purchase sit at positions 0..5 of 10: middle 3/10 -> score 2 */
    int64_t v[10] = {1, 4, 1, 1, 10, 2, 1, 3, 1, 1};
    int s[10];
    score(v, 10, s);
    int want[10] = {2, 5, 2, 2, 5, 4, 2, 4, 2, 2};
    for (int i = 0; i < 10; i++)
        assert_int_equal(s[i], want[i]);
    /* the order of the input does not matter */
    int64_t w[10] = {10, 3, 2, 4, 1, 1, 1, 1, 1, 1};
    int t[10];
    score(w, 10, t);
    int want_w[10] = {5, 4, 4, 5, 2, 2, 2, 2, 2, 2};
    for (int i = 0; i < 10; i++)
        assert_int_equal(t[i], want_w[i]);
}

static void test_cuts_score_values_between_recomputes(void **state)
{
    (void)state;
    int64_t v[5] = {10, 20, 30, 40, 50};
    int64_t scratch[10];
    rfm_cuts c;
    rfm_cuts_of(v, 5, scratch, &c);
    assert_int_equal(rfm_score_one(&c, 0), 1);
    assert_int_equal(rfm_score_one(&c, 25), 2);
    assert_int_equal(rfm_score_one(&c, 45), 4);
    assert_int_equal(rfm_score_one(&c, 1000), 5);
    /* no customers: no cuts, everyone would score 1 (callers do not score without a population) */
    rfm_cuts_of(v, 0, scratch, &c);
    assert_true(c.cut[2] == INT64_MAX);
}

static void test_sort_handles_negative_and_large_values(void **state)
{
    (void)state;
    enum { N = 1000 };
    int64_t a[N], tmp[N];
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        a[i] = (int64_t)x >> (i % 50);
    }
    a[0] = INT64_MIN;
    a[1] = INT64_MAX;
    a[2] = -1;
    a[3] = 0;
    rfm_sort(a, tmp, N);
    for (int i = 1; i < N; i++)
        assert_true(a[i - 1] <= a[i]);
    assert_true(a[0] == INT64_MIN);
    assert_true(a[N - 1] == INT64_MAX);
}

static void test_value_is_spend_rate_times_horizon(void **state)
{
    (void)state;
    /* 400000 spent over two years: 600000 over the next three */
    assert_int_equal(rfm_value(4, 400000, NOW - 730 * DAY, NOW, 1095, 365), 600000);
    /* ten days of history count as a year */
    assert_int_equal(rfm_value(1, 50000, NOW - 10 * DAY, NOW, 1095, 365), 150000);
    assert_int_equal(rfm_value(0, 0, 0, NOW, 1095, 365), 0);
    assert_int_equal(rfm_value(2, 0, NOW - 800 * DAY, NOW, 1095, 365), 0); /* everything returned */
    /* large sums do not overflow */
    assert_true(rfm_value(1000, INT64_C(1000000000000000), NOW - 365 * DAY, NOW, 7300, 365) ==
                INT64_C(20000000000000000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_to_four_customers),
        cmocka_unit_test(test_distinct_values_are_exact_quintiles),
        cmocka_unit_test(test_all_equal_values_score_three),
        cmocka_unit_test(test_ties_get_the_score_of_their_middle_position),
        cmocka_unit_test(test_cuts_score_values_between_recomputes),
        cmocka_unit_test(test_sort_handles_negative_and_large_values),
        cmocka_unit_test(test_value_is_spend_rate_times_horizon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
