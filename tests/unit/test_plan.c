/*
 * test_plan.c: unit tests for src/core/plan.c (a goal's expected figure on the straight line from its baseline to
 * its target, and on track or behind): rising and falling targets, before the start, past the due date, a due date
 * at the start, a figure exactly on the line, and the slack of 1% of the way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/plan.h"

#define DAY 86400000LL
#define T0 1777593600000LL /* 2026-05-01 */

static void assert_close(double got, double want) { assert_true(got > want - 1e-9 && got < want + 1e-9); }

static void test_expected_moves_in_a_straight_line(void **state)
{
    (void)state;
    /* 1,000 members at T0, 2,000 wanted in 100 days */
    assert_close(plan_expected(1000, T0, 2000, T0 + 100 * DAY, T0), 1000);
    assert_close(plan_expected(1000, T0, 2000, T0 + 100 * DAY, T0 + 25 * DAY), 1250);
    assert_close(plan_expected(1000, T0, 2000, T0 + 100 * DAY, T0 + 50 * DAY), 1500);
    assert_close(plan_expected(1000, T0, 2000, T0 + 100 * DAY, T0 + 100 * DAY), 2000);
    assert_close(plan_expected(1000, T0, 2000, T0 + 100 * DAY, T0 + 400 * DAY), 2000); /* past due: the target */
    assert_close(plan_expected(1000, T0, 2000, T0 + 100 * DAY, T0 - DAY), 1000);       /* before the baseline */
    assert_close(plan_expected(1000, T0, 2000, T0, T0), 2000);                         /* due at once */
    /* a liability of 9,000,000 to bring down to 6,000,000 in 30 days: 8,000,000 expected after 10 */
    assert_close(plan_expected(9e6, T0, 6e6, T0 + 30 * DAY, T0 + 10 * DAY), 8e6);
}

static void test_track_rising_target(void **state)
{
    (void)state;
    int64_t due = T0 + 100 * DAY, mid = T0 + 50 * DAY;
    assert_int_equal(plan_goal_track(1000, T0, 2000, due, mid, 1500), PLAN_ON_TRACK); /* exactly on the line */
    assert_int_equal(plan_goal_track(1000, T0, 2000, due, mid, 1600), PLAN_ON_TRACK);
    assert_int_equal(plan_goal_track(1000, T0, 2000, due, mid, 1491), PLAN_ON_TRACK); /* within 1% of the way */
    assert_int_equal(plan_goal_track(1000, T0, 2000, due, mid, 1489), PLAN_BEHIND);
    assert_int_equal(plan_goal_track(1000, T0, 2000, due, T0 + 1000, 1000), PLAN_ON_TRACK); /* a second later */
    assert_int_equal(plan_goal_track(1000, T0, 2000, due, T0, 1000), PLAN_ON_TRACK); /* just set */
    assert_int_equal(plan_goal_track(1000, T0, 2000, due, due + DAY, 1989), PLAN_BEHIND);
    assert_int_equal(plan_goal_track(1000, T0, 2000, due, due + DAY, 2000), PLAN_ON_TRACK);
    /* shares in percent: 12.5% to 20% in 30 days, 15% after 10 days */
    assert_int_equal(plan_goal_track(12.5, T0, 20, T0 + 30 * DAY, T0 + 10 * DAY, 15.0), PLAN_ON_TRACK);
    assert_int_equal(plan_goal_track(12.5, T0, 20, T0 + 30 * DAY, T0 + 10 * DAY, 14.9), PLAN_BEHIND); /* 0.075 slack */
}

static void test_track_falling_target(void **state)
{
    (void)state;
    int64_t due = T0 + 30 * DAY, at = T0 + 10 * DAY; /* 8e6 expected */
    assert_int_equal(plan_goal_track(9e6, T0, 6e6, due, at, 8e6), PLAN_ON_TRACK);
    assert_int_equal(plan_goal_track(9e6, T0, 6e6, due, at, 7e6), PLAN_ON_TRACK);
    assert_int_equal(plan_goal_track(9e6, T0, 6e6, due, at, 8.5e6), PLAN_BEHIND);
    /* NPS may be negative: from -20 up to 10 */
    assert_int_equal(plan_goal_track(-20, T0, 10, due, at, -10), PLAN_ON_TRACK);
    assert_int_equal(plan_goal_track(-20, T0, 10, due, at, -10.2), PLAN_ON_TRACK); /* 0.3 slack */
    assert_int_equal(plan_goal_track(-20, T0, 10, due, at, -11), PLAN_BEHIND);
    assert_string_equal(plan_track_name(PLAN_ON_TRACK), "on_track");
    assert_string_equal(plan_track_name(PLAN_BEHIND), "behind");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected_moves_in_a_straight_line),
        cmocka_unit_test(test_track_rising_target),
        cmocka_unit_test(test_track_falling_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
