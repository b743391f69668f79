/*
 * test_experiment.c: unit tests for src/core/experiment.c: the pilot and control draw is repeated by its seed,
 * respects the strata, never overlaps, and the allocation refuses a sample or control that does not fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/experiment.h"

#define N 3000

/* Three strata of 1500, 1000 and 500 people, ids 1..N, given in a shuffled order. */
static void population(sampling_unit *u, unsigned shuffle)
{
    for (int i = 0; i < N; i++)
        u[i] = (sampling_unit){.id = i + 1, .stratum = i < 1500 ? 0 : i < 2500 ? 1 : 2};
    srand(shuffle);
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        sampling_unit t = u[i];
        u[i] = u[j];
        u[j] = t;
    }
}

/* arm per id (1-based) after a draw */
static void draw_by_id(uint64_t seed, unsigned shuffle, const int64_t *a, const int64_t *b, unsigned char *by_id)
{
    static sampling_unit u[N];
    static unsigned char arm[N];
    population(u, shuffle);
    experiment_draw(seed, u, N, 3, a, b, arm, NULL);
    for (int i = 0; i < N; i++)
        by_id[u[i].id - 1] = arm[i];
}

/* A before B before none. */
static int arm_rank(unsigned char arm) { return arm == EXPERIMENT_A ? 0 : arm == EXPERIMENT_B ? 1 : 2; }

static void test_allocation_is_proportional_and_disjoint(void **state)
{
    int64_t sizes[3] = {1500, 1000, 500}, a[3], b[3];
    assert_int_equal(experiment_allocate(sizes, 3, 300, 600, a, b), EXPERIMENT_OK);
    assert_int_equal(a[0], 150);
    assert_int_equal(a[1], 100);
    assert_int_equal(a[2], 50);
    assert_int_equal(b[0], 300);
    assert_int_equal(b[1], 200);
    assert_int_equal(b[2], 100);
    assert_int_equal(experiment_allocate(sizes, 3, 3001, 0, a, b), EXPERIMENT_BAD_SAMPLE);
    assert_int_equal(experiment_allocate(sizes, 3, 2000, 1001, a, b), EXPERIMENT_BAD_CONTROL);
    assert_int_equal(experiment_allocate(sizes, 3, 2000, 1000, a, b), EXPERIMENT_OK);
    for (int h = 0; h < 3; h++)
        assert_int_equal(a[h] + b[h], sizes[h]); /* everyone, and nobody twice */
}

static void test_share_counts_round_up(void **state)
{
    assert_int_equal(experiment_share_count(0.05, 1000), 50);
    assert_int_equal(experiment_share_count(0.05, 1001), 51);
    assert_int_equal(experiment_share_count(1, 7), 7);
    assert_int_equal(experiment_share_count(0, 7), 0);
}

/* The batch draw (one keyed state copied per id) gives the same numbers as the one-by-one draw. */
static void test_batch_draws_equal_single_draws(void **state)
{
    sampling_unit u[64];
    for (int i = 0; i < 64; i++)
        u[i] = (sampling_unit){.id = (int64_t)i * 7919 - 100};
    sampling_draw_all(123456789, u, 64);
    for (int i = 0; i < 64; i++)
        assert_true(u[i].draw == sampling_draw(123456789, u[i].id));
}

static void test_same_seed_same_draw_in_any_order(void **state)
{
    int64_t a[3] = {150, 100, 50}, b[3] = {300, 200, 100};
    static unsigned char x[N], y[N], z[N];
    draw_by_id(42, 1, a, b, x);
    draw_by_id(42, 2, a, b, y); /* another input order */
    assert_memory_equal(x, y, N);
    draw_by_id(43, 1, a, b, z);
    assert_true(memcmp(x, z, N) != 0);
}

static void test_strata_respected_and_arms_disjoint(void **state)
{
    int64_t a[3] = {150, 100, 50}, b[3] = {300, 200, 100};
    static sampling_unit u[N];
    static unsigned char arm[N];
    population(u, 7);
    int64_t counts[3];
    experiment_draw(9, u, N, 3, a, b, arm, counts);
    assert_int_equal(counts[EXPERIMENT_A], 300);
    assert_int_equal(counts[EXPERIMENT_B], 600);
    assert_int_equal(counts[EXPERIMENT_NONE], N - 900);
    int64_t per[3][3] = {{0}};
    for (int i = 0; i < N; i++)
        per[u[i].stratum][arm[i]]++;
    for (int h = 0; h < 3; h++) {
        assert_int_equal(per[h][EXPERIMENT_A], a[h]);
        assert_int_equal(per[h][EXPERIMENT_B], b[h]);
    }
    /* within a stratum every A comes before every B, and every B before every one left, in the draw order (lower
     * draw, ties by id); and the units are grouped by stratum */
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            if (u[i].stratum == u[j].stratum && arm_rank(arm[i]) < arm_rank(arm[j]))
                assert_true(u[i].draw < u[j].draw || (u[i].draw == u[j].draw && u[i].id < u[j].id));
    for (int i = 1; i < N; i++)
        assert_true(u[i - 1].stratum <= u[i].stratum);
}

/* A later wave over those not yet drawn: the people of the first wave are not offered to it, and the second
 * wave's arms come from the rest. */
static void test_later_wave_excludes_earlier(void **state)
{
    int64_t a[1] = {100}, b[1] = {100};
    static sampling_unit u[N];
    static unsigned char arm[N], taken[N + 1];
    for (int i = 0; i < N; i++)
        u[i] = (sampling_unit){.id = i + 1, .stratum = 0};
    experiment_draw(5, u, N, 1, a, b, arm, NULL);
    size_t rest = 0;
    for (int i = 0; i < N; i++) {
        if (arm[i])
            taken[u[i].id] = 1;
        else
            u[rest++] = u[i];
    }
    assert_int_equal(rest, N - 200);
    int64_t a2[1] = {50}, b2[1] = {(int64_t)rest - 50};
    int64_t counts[3];
    experiment_draw(5, u, rest, 1, a2, b2, arm, counts);
    assert_int_equal(counts[EXPERIMENT_NONE], 0);
    for (size_t i = 0; i < rest; i++)
        assert_int_equal(taken[u[i].id], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocation_is_proportional_and_disjoint),
        cmocka_unit_test(test_share_counts_round_up),
        cmocka_unit_test(test_batch_draws_equal_single_draws),
        cmocka_unit_test(test_same_seed_same_draw_in_any_order),
        cmocka_unit_test(test_strata_respected_and_arms_disjoint),
        cmocka_unit_test(test_later_wave_excludes_earlier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
