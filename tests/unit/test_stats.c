/*
 * test_stats.c: unit tests for src/core/stats.c against worked examples computed by hand (z = 1.95996).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/stats.h"

#define near(got, want) assert_true((got) > (want) - 1e-4 && (got) < (want) + 1e-4)

/* N = 1000, n = 100, p = 0.5: se = sqrt(0.25 / 100) = 0.05; z * se = 0.0979982;
 * fpc = sqrt(900 / 999) = 0.9491580; margin = 0.0979982 * 0.9491580 = 0.0930158 (9.3 points). */
static void test_margin_of_error_with_finite_population_correction(void **state)
{
    near(stats_margin_of_error(0.5, 100, 1000), 0.0930158);
    /* p = 0.2: sqrt(0.16 / 100) = 0.04; 1.95996 * 0.04 * 0.9491580 = 0.0744126 */
    near(stats_margin_of_error(0.2, 100, 1000), 0.0744126);
    /* without much correction: N = 1,000,000: 0.0979982 * sqrt(999900 / 999999) = 0.0979933 */
    near(stats_margin_of_error(0.5, 100, 1000000), 0.0979933);
}

static void test_margin_of_error_edges(void **state)
{
    near(stats_margin_of_error(0.5, 50, 50), 0); /* everyone answered */
    near(stats_margin_of_error(0.5, 0, 50), -1); /* nobody answered: no estimate */
    near(stats_margin_of_error(0.5, 60, 50), -1);
}

/* e = 0.05, p = 0.5, N = 1000: n0 = 1.95996^2 * 0.25 / 0.0025 = 384.146; n = 384.146 / (1 + 383.146 / 1000)
 * = 277.73 -> 278 answers; at a 50% response rate 277.73 / 0.5 = 555.47 -> invite 556. At 25%: 1110.9 >
 * 1000, so everyone (capped). N = 1,000,000: 384.146 / 1.000383 = 383.999 -> 384. */
static void test_sample_size_for_a_wanted_margin(void **state)
{
    stats_plan p;
    assert_int_equal(stats_sample_size(0.05, 0.5, 0.5, 1000, &p), 0);
    assert_int_equal(p.answers_needed, 278);
    assert_int_equal(p.invite, 556);
    assert_int_equal(p.capped, 0);
    assert_int_equal(stats_sample_size(0.05, 0.5, 0.25, 1000, &p), 0);
    assert_int_equal(p.invite, 1000);
    assert_int_equal(p.capped, 1);
    assert_int_equal(stats_sample_size(0.05, 0.5, 1, 1000000, &p), 0);
    assert_int_equal(p.answers_needed, 384);
    assert_int_equal(p.invite, 384);
    assert_int_equal(stats_sample_size(0, 0.5, 0.5, 1000, &p), -1);
    assert_int_equal(stats_sample_size(0.05, 0.5, 0, 1000, &p), -1);
    assert_int_equal(stats_sample_size(0.05, 0.5, 0.5, 0, &p), -1);
}

/* Ten answers 10 10 9 9 9 | 8 7 | 6 3 0: P = 0.5, D = 0.3, NPS = 20. Variance of the +1/0/-1 scores:
 * 0.5 + 0.3 - 0.2^2 = 0.76; se = sqrt(0.76 / 10) = 0.275681; 100 * 1.95996 * 0.275681 = 54.0325, so the
 * interval is [-34.0325, 74.0325]. */
static void test_nps_with_its_interval(void **state)
{
    int64_t c[11] = {0};
    c[10] = 2, c[9] = 3, c[8] = 1, c[7] = 1, c[6] = 1, c[3] = 1, c[0] = 1;
    stats_nps n;
    stats_nps_compute(c, &n);
    assert_int_equal(n.n, 10);
    assert_int_equal(n.promoters, 5);
    assert_int_equal(n.passives, 2);
    assert_int_equal(n.detractors, 3);
    near(n.score, 20);
    near(n.se, 0.275681);
    near(n.low, -34.0325);
    near(n.high, 74.0325);
}

/* All promoters: variance 1 + 0 - 1 = 0, the interval is the point; three answers 10 0 0: NPS = -33.33,
 * variance 1/3 + 2/3 - 1/9 = 0.888889, se = sqrt(0.888889 / 3) = 0.544331, half-width 106.687: low clipped to -100, high -33.3333 + 106.687 = 73.3536. */
static void test_nps_edges_and_clipping(void **state)
{
    int64_t c[11] = {0};
    stats_nps n;
    stats_nps_compute(c, &n);
    assert_int_equal(n.n, 0);
    c[10] = 4;
    stats_nps_compute(c, &n);
    near(n.score, 100);
    near(n.low, 100);
    near(n.high, 100);
    c[10] = 1, c[0] = 2;
    stats_nps_compute(c, &n);
    near(n.score, -33.3333);
    near(n.se, 0.544331);
    near(n.low, -100);
    near(n.high, 73.3536);
}

/* Ratings 5 4 4 3 2 5 1 4: five of eight are 4 or 5 -> 62.5%. */
static void test_csat_top_two_box(void **state)
{
    int64_t c[5] = {1, 1, 1, 3, 2};
    near(stats_csat(c), 62.5);
    int64_t none[5] = {0};
    near(stats_csat(none), -1);
}

/* 37 answers of 300 people: 12.3333% >= 10%. */
static void test_coverage(void **state)
{
    near(stats_coverage_pct(37, 300), 12.3333);
    near(stats_coverage_pct(0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_margin_of_error_with_finite_population_correction),
        cmocka_unit_test(test_margin_of_error_edges),
        cmocka_unit_test(test_sample_size_for_a_wanted_margin),
        cmocka_unit_test(test_nps_with_its_interval),
        cmocka_unit_test(test_nps_edges_and_clipping),
        cmocka_unit_test(test_csat_top_two_box),
        cmocka_unit_test(test_coverage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
