/*
 * test_sampling.c: unit tests for src/core/sampling.c: proportional allocation with a minimum share per
 * stratum, and draws that depend on the seed alone (not on the order of the input).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/sampling.h"

/* 100 of 1000 over strata of 600, 300, 100: exactly 60, 30, 10. */
static void test_allocation_is_proportional(void **state)
{
    int64_t sizes[3] = {600, 300, 100}, alloc[3];
    assert_int_equal(sampling_allocate(sizes, 3, 100, 0, alloc), 100);
    assert_int_equal(alloc[0], 60);
    assert_int_equal(alloc[1], 30);
    assert_int_equal(alloc[2], 10);
}

/* 7 of 10 over 5, 3, 2: quotas 3.5, 2.1, 1.4 -> floors 3, 2, 1 (6), the largest
 * remainder (0.5, stratum 0) takes the seventh: 4, 2, 1. */
static void test_allocation_gives_leftovers_by_largest_remainder(void **state)
{
    int64_t sizes[3] = {5, 3, 2}, alloc[3];
    assert_int_equal(sampling_allocate(sizes, 3, 7, 0, alloc), 7);
    assert_int_equal(alloc[0], 4);
    assert_int_equal(alloc[1], 2);
    assert_int_equal(alloc[2], 1);
}

/* 50 of 1000 over 900, 91, 9 with a 10% minimum: proportional 45, 4.55, 0.45 -> 45, 5, 0; minimums
 * ceil(90) = 90, ceil(9.1) = 10, ceil(0.9) = 1: 90, 10, 1 = 101. */
static void test_allocation_raises_each_stratum_to_the_minimum_share(void **state)
{
    int64_t sizes[3] = {900, 91, 9}, alloc[3];
    assert_int_equal(sampling_allocate(sizes, 3, 50, 0.10, alloc), 101);
    assert_int_equal(alloc[0], 90);
    assert_int_equal(alloc[1], 10);
    assert_int_equal(alloc[2], 1);
    for (int h = 0; h < 3; h++)
        assert_true(alloc[h] * 10 >= sizes[h]);
    assert_int_equal(sampling_allocate(sizes, 0, 50, 0.1, alloc), -1);
    assert_int_equal(sampling_allocate(sizes, 3, -1, 0.1, alloc), -1);
}

static sampling_unit *population(size_t n, int strata)
{
    sampling_unit *u = calloc(n, sizeof(*u));
    for (size_t i = 0; i < n; i++)
        u[i] = (sampling_unit){.id = (int64_t)(i * 7 + 3), .stratum = (int)(i % (size_t)strata)};
    return u;
}

static void test_same_seed_same_sample_in_any_order(void **state)
{
    enum { N = 2000 };
    int64_t alloc[3] = {70, 70, 70};
    sampling_unit *a = population(N, 3), *b = population(N, 3), *c = population(N, 3);
    for (size_t i = 0; i < N / 2; i++) { /* b in reverse order */
        sampling_unit t = b[i];
        b[i] = b[N - 1 - i];
        b[N - 1 - i] = t;
    }
    size_t na = sampling_select(42, a, N, alloc, 3), nb = sampling_select(42, b, N, alloc, 3);
    assert_int_equal(na, 210);
    assert_int_equal(nb, 210);
    for (size_t i = 0; i < na; i++)
        assert_int_equal(a[i].id, b[i].id);
    size_t nc = sampling_select(43, c, N, alloc, 3);
    size_t same = 0;
    for (size_t i = 0; i < nc; i++)
        for (size_t j = 0; j < na; j++)
            same += c[i].id == a[j].id;
    assert_true(same < 150); /* another seed, another sample (about a tenth overlap expected) */
    free(a), free(b), free(c);
}

static void test_each_stratum_gets_its_allocation(void **state)
{
    enum { N = 1000 };
    int64_t sizes[4] = {250, 250, 250, 250}, alloc[4];
    sampling_unit *u = population(N, 4);
    int64_t want = sampling_allocate(sizes, 4, 60, 0.10, alloc);
    assert_int_equal(want, 100); /* 15 each raised to 25 */
    size_t n = sampling_select(7, u, N, alloc, 4);
    assert_int_equal(n, 100);
    int64_t per[4] = {0};
    for (size_t i = 0; i < n; i++) {
        per[u[i].stratum]++;
        if (i)
            assert_true(u[i].id > u[i - 1].id);
    }
    for (int h = 0; h < 4; h++)
        assert_int_equal(per[h], 25);
    free(u);
}

/* The draw is fixed by the definition (SipHash-2-4 keyed by the first 16 bytes of
 * BLAKE2b-256("bashgah.sample.v2" || seed LE)): recompute it here from libsodium's primitives so that a change to
 * the scheme fails. */
static void test_draw_is_the_documented_hash(void **state)
{
    unsigned char in[17 + 8] = "bashgah.sample.v2", key[32], id[8] = {5}, out[8];
    memset(in + 17, 0, 8);
    in[17] = 42;
    crypto_generichash(key, 32, in, sizeof(in), NULL, 0);
    crypto_shorthash(out, id, 8, key);
    uint64_t want = 0;
    for (int i = 7; i >= 0; i--)
        want = (want << 8) | out[i];
    assert_true(sampling_draw(42, 5) == want);
    assert_true(sampling_draw(42, 5) != sampling_draw(42, 6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocation_is_proportional),
        cmocka_unit_test(test_allocation_gives_leftovers_by_largest_remainder),
        cmocka_unit_test(test_allocation_raises_each_stratum_to_the_minimum_share),
        cmocka_unit_test(test_same_seed_same_sample_in_any_order),
        cmocka_unit_test(test_each_stratum_gets_its_allocation),
        cmocka_unit_test(test_draw_is_the_documented_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
