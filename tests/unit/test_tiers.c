/*
 * test_tiers.c: unit tests for src/core/tiers.c (which tier a member's activity reaches, when it lapses, and
 * what follows: upgrades at once, downgrades at the review date after the grace period).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/tiers.h"

#define NOW INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define DAY TIER_DAY_MS

/* Entry (rank 0), silver (1000 points), gold (5000 points); 365-day windows, 30 grace days. */
static const tier_rule ladder[] = {
    {.id = 10, .rank = 0, .basis = TIER_BASIS_POINTS, .threshold = 0, .window_days = 365, .grace_days = 30,
     .multiplier_permille = 1000},
    {.id = 11, .rank = 1, .basis = TIER_BASIS_POINTS, .threshold = 1000, .window_days = 365, .grace_days = 30,
     .multiplier_permille = 1250},
    {.id = 12, .rank = 2, .basis = TIER_BASIS_POINTS, .threshold = 5000, .window_days = 365, .grace_days = 30,
     .multiplier_permille = 1500},
};
#define N 3

static void test_basis_names_round_trip(void **state)
{
    (void)state;
    tier_basis b;
    assert_int_equal(tier_basis_from_name("spend", &b), 0);
    assert_int_equal(b, TIER_BASIS_SPEND);
    assert_string_equal(tier_basis_name(b), "spend");
    assert_int_equal(tier_basis_from_name("points", &b), 0);
    assert_int_equal(b, TIER_BASIS_POINTS);
    assert_int_equal(tier_basis_from_name("Points", &b), -1);
    assert_int_equal(tier_basis_from_name(NULL, &b), -1);
}

static void test_window_starts_window_days_before_now(void **state)
{
    (void)state;
    assert_true(tier_window_start(&ladder[1], NOW) == NOW - 365 * DAY);
}

static void test_qualified_is_the_highest_tier_reached(void **state)
{
    (void)state;
    int64_t metric[N] = {4999, 4999, 4999};
    assert_int_equal(tier_qualified(ladder, N, metric), 1);
    metric[2] = 5000;
    assert_int_equal(tier_qualified(ladder, N, metric), 2);
    int64_t none[N] = {0, 0, 0};
    assert_int_equal(tier_qualified(ladder, N, none), 0); /* the entry tier asks for nothing */
    assert_int_equal(tier_qualified(ladder + 1, N - 1, none), -1);
}

static void test_qualified_reads_each_tiers_own_measure(void **state)
{
    (void)state;
    /* A spend tier above a points tier: each is compared with its own metric. */
    tier_rule mixed[2] = {ladder[1], ladder[2]};
    mixed[1].basis = TIER_BASIS_SPEND;
    mixed[1].threshold = 1000000;
    int64_t metric[2] = {10, 2000000};
    assert_int_equal(tier_qualified(mixed, 2, metric), 1);
}

static void test_lapse_when_the_needed_activity_leaves_the_window(void **state)
{
    (void)state;
    int64_t w = 365 * DAY;
    tier_event ev[] = {{NOW - 300 * DAY, 600}, {NOW - 100 * DAY, 300}, {NOW - 10 * DAY, 400}};
    /* 1300 inside; when the first leaves, 700 < 1000. */
    assert_true(tier_lapse_at(ev, 3, 1000, w) == NOW - 300 * DAY + w);
    /* 600 is enough: it lapses only when the second leaves (then 400 remain). */
    assert_true(tier_lapse_at(ev, 3, 600, w) == NOW - 100 * DAY + w);
}

static void test_lapse_counts_returns_against_earnings(void **state)
{
    (void)state;
    int64_t w = 365 * DAY;
    /* Earn 2000, return 800: 1200 inside. When the return leaves, the sum rises again; the earning leaving first
     * is what ends the qualification. */
    tier_event ev[] = {{NOW - 50 * DAY, 2000}, {NOW - 40 * DAY, -800}};
    assert_true(tier_lapse_at(ev, 2, 1000, w) == NOW - 50 * DAY + w);
}

static void test_lapse_events_of_one_moment_leave_together(void **state)
{
    (void)state;
    int64_t w = 30 * DAY, at = NOW - DAY;
    /* A return and a purchase in the same millisecond: no dip between them. */
    tier_event ev[] = {{NOW - 20 * DAY, 500}, {at, -500}, {at, 1500}};
    assert_true(tier_lapse_at(ev, 3, 1000, w) == at + w);
}

static void test_lapse_never_without_a_threshold_and_long_past_below_it(void **state)
{
    (void)state;
    tier_event ev[] = {{NOW - DAY, 10}};
    assert_true(tier_lapse_at(ev, 1, 0, DAY) == 0);
    assert_true(tier_lapse_at(NULL, 0, 0, DAY) == 0);
    assert_true(tier_lapse_at(ev, 1, 11, DAY) == 1);
    assert_true(tier_lapse_at(NULL, 0, 5, DAY) == 1);
}

static void test_first_activity_places_member_in_entry_tier_without_review(void **state)
{
    (void)state;
    tier_decision d = tier_decide(ladder, N, -1, 0, 0, NOW);
    assert_int_equal(d.to, 0);
    assert_true(d.changed);
    assert_false(d.needs_lapse);
    assert_true(d.review_at == 0);
}

static void test_upgrade_happens_at_once_and_asks_for_a_review_date(void **state)
{
    (void)state;
    tier_decision d = tier_decide(ladder, N, 0, 0, 2, NOW);
    assert_int_equal(d.to, 2);
    assert_true(d.changed);
    assert_true(d.needs_lapse);
    /* Even a member waiting for a downgrade review goes up at once. */
    d = tier_decide(ladder, N, 1, NOW + 5 * DAY, 2, NOW);
    assert_int_equal(d.to, 2);
    assert_true(d.needs_lapse);
}

static void test_lower_qualification_schedules_review_after_grace(void **state)
{
    (void)state;
    tier_decision d = tier_decide(ladder, N, 2, 0, 1, NOW);
    assert_int_equal(d.to, 2);
    assert_false(d.changed);
    assert_false(d.needs_lapse);
    assert_true(d.review_at == NOW + 30 * DAY);
}

static void test_lower_qualification_keeps_an_existing_review_date(void **state)
{
    (void)state;
    tier_decision d = tier_decide(ladder, N, 2, NOW + 3 * DAY, 0, NOW);
    assert_int_equal(d.to, 2);
    assert_false(d.changed);
    assert_true(d.review_at == NOW + 3 * DAY);
}

static void test_downgrade_waits_for_the_review_date_then_goes_to_the_tier_reached(void **state)
{
    (void)state;
    tier_decision d = tier_decide(ladder, N, 2, NOW, 0, NOW);
    assert_int_equal(d.to, 0); /* straight to what they qualify for, not one step */
    assert_true(d.changed);
    assert_false(d.needs_lapse);
    assert_true(d.review_at == 0);
    d = tier_decide(ladder, N, 2, NOW - DAY, 1, NOW);
    assert_int_equal(d.to, 1);
    assert_true(d.changed);
    assert_true(d.needs_lapse);
}

static void test_downgrade_without_an_entry_tier_leaves_no_tier(void **state)
{
    (void)state;
    tier_decision d = tier_decide(ladder + 1, N - 1, 1, NOW, -1, NOW);
    assert_int_equal(d.to, -1);
    assert_true(d.changed);
    assert_true(d.review_at == 0);
}

static void test_still_qualifying_keeps_a_future_review_date(void **state)
{
    (void)state;
    tier_decision d = tier_decide(ladder, N, 1, NOW + 100 * DAY, 1, NOW);
    assert_false(d.changed);
    assert_false(d.needs_lapse);
    assert_true(d.review_at == NOW + 100 * DAY);
}

static void test_review_of_a_member_who_qualifies_again_asks_for_a_new_date(void **state)
{
    (void)state;
    tier_decision d = tier_decide(ladder, N, 1, NOW - 1, 1, NOW);
    assert_int_equal(d.to, 1);
    assert_false(d.changed);
    assert_true(d.needs_lapse);
    d = tier_decide(ladder, N, 1, 0, 2, NOW); /* and so does a tier held without a date */
    assert_true(d.needs_lapse);
}

static void test_review_date_is_lapse_plus_grace_and_never_in_the_past(void **state)
{
    (void)state;
    assert_true(tier_review_date(&ladder[1], NOW + 10 * DAY, NOW) == NOW + 40 * DAY);
    assert_true(tier_review_date(&ladder[1], 1, NOW) == NOW + 1);
    assert_true(tier_review_date(&ladder[1], 0, NOW) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basis_names_round_trip),
        cmocka_unit_test(test_window_starts_window_days_before_now),
        cmocka_unit_test(test_qualified_is_the_highest_tier_reached),
        cmocka_unit_test(test_qualified_reads_each_tiers_own_measure),
        cmocka_unit_test(test_lapse_when_the_needed_activity_leaves_the_window),
        cmocka_unit_test(test_lapse_counts_returns_against_earnings),
        cmocka_unit_test(test_lapse_events_of_one_moment_leave_together),
        cmocka_unit_test(test_lapse_never_without_a_threshold_and_long_past_below_it),
        cmocka_unit_test(test_first_activity_places_member_in_entry_tier_without_review),
        cmocka_unit_test(test_upgrade_happens_at_once_and_asks_for_a_review_date),
        cmocka_unit_test(test_lower_qualification_schedules_review_after_grace),
        cmocka_unit_test(test_lower_qualification_keeps_an_existing_review_date),
        cmocka_unit_test(test_downgrade_waits_for_the_review_date_then_goes_to_the_tier_reached),
        cmocka_unit_test(test_downgrade_without_an_entry_tier_leaves_no_tier),
        cmocka_unit_test(test_still_qualifying_keeps_a_future_review_date),
        cmocka_unit_test(test_review_of_a_member_who_qualifies_again_asks_for_a_new_date),
        cmocka_unit_test(test_review_date_is_lapse_plus_grace_and_never_in_the_past),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
