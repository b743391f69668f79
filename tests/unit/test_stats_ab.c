/*
 * test_stats_ab.c: unit tests for src/core/stats_ab.c (and the distributions behind it) against worked examples
 * computed independently with python3's statistics.NormalDist and a numerical integral of the t density (the
 * script's figures are in docs/campaigns.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/distributions.h"
#include "core/stats_ab.h"

#define near(got, want, tol) assert_true((got) > (want) - (tol) && (got) < (want) + (tol))

static void test_distributions_known_values(void **state)
{
    near(dist_normal_quantile(0.975), 1.959963985, 1e-8);
    near(dist_normal_quantile(0.80), 0.841621234, 1e-8);
    near(dist_normal_cdf(1.959963985), 0.975, 1e-8);
    /* t with 10 df: the 97.5% quantile is 2.228139 (every table); chi-square 1 df at 3.841459 is 0.05 */
    near(dist_t_quantile(0.975, 10), 2.228139, 1e-5);
    near(dist_t_two_sided_p(2.228139, 10), 0.05, 1e-6);
    near(dist_chi2_sf(3.841459, 1), 0.05, 1e-6);
    assert_true(dist_t_quantile(0.975, -1) != dist_t_quantile(0.975, -1)); /* NAN, no exception */
}

/* p0 = 0.10, 1000 and 1000: 2.801585 * 0.3 * sqrt(2 / 1000) = 0.0375872 */
static void test_mde_for_a_proportion(void **state)
{
    near(stats_mde_proportion(0.10, 1000, 1000), 0.0375872, 1e-6);
    /* four times the people halves it */
    near(stats_mde_proportion(0.10, 4000, 4000), 0.0375872 / 2, 1e-6);
    near(stats_mde_proportion(0.10, 0, 1000), -1, 1e-12);
    near(stats_mde_proportion(1.5, 10, 10), -1, 1e-12);
}

/* sd = 50,000 (rials), 500 treated and 2000 control: 2.801585 * 50000 * sqrt(1/500 + 1/2000) = 7003.963 */
static void test_mde_for_a_mean(void **state)
{
    near(stats_mde_mean(50000, 500, 2000), 7003.963, 1e-3);
}

/* 120 of 1000 against 100 of 1000: difference 0.02, pooled z = 1.429301, p = 0.152918, interval with the
 * unpooled se: [-0.0074115, 0.0474115]. */
static void test_two_proportion_worked_example(void **state)
{
    stats_ab r;
    stats_two_proportion(120, 1000, 100, 1000, &r);
    assert_true(r.ok);
    near(r.difference, 0.02, 1e-12);
    near(r.statistic, 1.4293008, 1e-6);
    near(r.p_value, 0.1529178, 1e-6);
    near(r.low, -0.0074115, 1e-6);
    near(r.high, 0.0474115, 1e-6);
    /* the test is symmetric: swapping the arms flips the sign, not the p-value */
    stats_ab s;
    stats_two_proportion(100, 1000, 120, 1000, &s);
    near(s.difference, -0.02, 1e-12);
    near(s.p_value, r.p_value, 1e-12);
}

static void test_two_proportion_edges(void **state)
{
    stats_ab r;
    stats_two_proportion(0, 0, 5, 10, &r);
    assert_false(r.ok);
    stats_two_proportion(0, 10, 0, 10, &r); /* nobody on either side: no difference, p = 1 */
    assert_true(r.ok);
    near(r.p_value, 1, 1e-12);
    stats_two_proportion(11, 10, 0, 10, &r);
    assert_false(r.ok);
}

/* treated 12 15 11 18 20 14 (sum 90, squares 1410), control 10 9 13 12 8 11 10 (sum 73, squares 779):
 * means 15 and 10.428571, difference 4.571429, se 1.556203, df 7.069218, t 2.937552, p 0.0215477,
 * t_0.975,df = 2.359939, interval [0.898884, 8.243973]. */
static void test_welch_worked_example(void **state)
{
    stats_moments t = {6, 90, 1410}, c = {7, 73, 779};
    stats_ab r;
    stats_welch(&t, &c, &r);
    assert_true(r.ok);
    near(r.value_t, 15, 1e-12);
    near(r.difference, 4.5714286, 1e-6);
    near(r.df, 7.069218, 1e-5);
    near(r.statistic, 2.9375523, 1e-6);
    near(r.p_value, 0.0215477, 1e-6);
    near(r.low, 0.8988841, 1e-5);
    near(r.high, 8.2439731, 1e-5);
}

static void test_welch_edges(void **state)
{
    stats_moments one = {1, 5, 25}, two = {2, 10, 50}, same = {3, 30, 300};
    stats_ab r;
    stats_welch(&one, &two, &r);
    assert_false(r.ok);
    stats_welch(&same, &same, &r); /* no variance anywhere: no test, no NAN */
    assert_false(r.ok);
    near(r.difference, 0, 1e-12);
    near(r.p_value, 1, 1e-12);
    near(stats_moments_variance(&two), 0, 1e-12);
}

/* planned 1:1, observed 5200:4800: chi2 = 16, p = 6.334e-5 (flagged); 1010:990: chi2 = 0.2, p = 0.654721;
 * planned 200:800, observed 230:770: chi2 = 5.625, p = 0.017706 (not below 0.001). */
static void test_sample_ratio_mismatch(void **state)
{
    stats_srm s;
    stats_srm_check(5000, 5000, 5200, 4800, &s);
    near(s.chi2, 16, 1e-9);
    near(s.p_value, 6.334248e-5, 1e-9);
    assert_true(s.flag);
    near(s.expected_ratio, 0.5, 1e-12);
    near(s.observed_ratio, 0.52, 1e-12);
    stats_srm_check(1000, 1000, 1010, 990, &s);
    near(s.p_value, 0.6547208, 1e-6);
    assert_false(s.flag);
    stats_srm_check(200, 800, 230, 770, &s);
    near(s.chi2, 5.625, 1e-9);
    near(s.p_value, 0.0177061, 1e-6);
    assert_false(s.flag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distributions_known_values), cmocka_unit_test(test_mde_for_a_proportion),
        cmocka_unit_test(test_mde_for_a_mean),             cmocka_unit_test(test_two_proportion_worked_example),
        cmocka_unit_test(test_two_proportion_edges),       cmocka_unit_test(test_welch_worked_example),
        cmocka_unit_test(test_welch_edges),                cmocka_unit_test(test_sample_ratio_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
