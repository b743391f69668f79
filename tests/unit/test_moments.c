/*
 * test_moments.c: unit tests for src/core/moments.c (yearly dates in the Gregorian and Persian calendars, leap
 * days, members' local days in their time zones, the holdout draw).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "core/moments.h"

#define HOUR_MS (3600LL * 1000)

/* ms at a UTC civil time (days from civil, proleptic Gregorian). */
static int64_t utc_ms(int y, int m, int d, int hh, int mm)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return (days * 24 + hh) * HOUR_MS + (int64_t)mm * 60 * 1000;
}

/* The tests' clock: a file that clock_now_ms reads, as the server's --clock-file. */
static char clock_path[64];

static int64_t clock_set(int64_t ms)
{
    FILE *f = fopen(clock_path, "w");
    assert_non_null(f);
    fprintf(f, "%lld", (long long)ms);
    fclose(f);
    clock_use_file(clock_path);
    return clock_now_ms();
}

static int setup(void **state)
{
    snprintf(clock_path, sizeof(clock_path), "/tmp/bashgah-test-moments-%ld", (long)getpid());
    return 0;
}

static int teardown(void **state)
{
    clock_use_file(NULL);
    unlink(clock_path);
    return 0;
}

#define ASSERT_OCC(k, mm_, dd_, year, policy, wy, wm, wd)                                                  \
    do {                                                                                                 \
        moments_date o_ = {0};                                                                           \
        assert_int_equal(moments_occurrence((k), (mm_), (dd_), (year), (policy), &o_), 0);               \
        assert_int_equal(o_.y, (wy));                                                                    \
        assert_int_equal(o_.m, (wm));                                                                    \
        assert_int_equal(o_.d, (wd));                                                                    \
    } while (0)

static void test_jalali_birthday_comes_on_the_same_jalali_day_on_different_gregorian_days(void **state)
{
    /* born 1 Farvardin 1370: Nowruz each year, which is 21 March 2023, 20 March 2024, 21 March 2025 */
    static const struct { int jy, gy, gm, gd; } years[] = {{1402, 2023, 3, 21}, {1403, 2024, 3, 20},
                                                           {1404, 2025, 3, 21}};
    moments_date origin = {1370, 1, 1};
    for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
        ASSERT_OCC(CALENDAR_PERSIAN, 1, 1, years[i].jy, MOMENTS_LEAP_BEFORE, years[i].jy, 1, 1);
        int gy, gm, gd;
        assert_int_equal(calendar_to_gregorian(CALENDAR_PERSIAN, years[i].jy, 1, 1, &gy, &gm, &gd), 0);
        assert_int_equal(gy, years[i].gy);
        assert_int_equal(gm, years[i].gm);
        assert_int_equal(gd, years[i].gd);
        /* at noon UTC on that Gregorian day it is that Jalali day in Tehran */
        int year = 0;
        int64_t noon = utc_ms(years[i].gy, years[i].gm, years[i].gd, 12, 0);
        assert_int_equal(moments_due_at(CALENDAR_PERSIAN, "Asia/Tehran", noon, &origin, MOMENTS_LEAP_BEFORE, 10,
                                        &year), 1);
        assert_int_equal(year, years[i].jy);
        /* and not the day before */
        assert_int_equal(moments_due_at(CALENDAR_PERSIAN, "Asia/Tehran", noon - 24 * HOUR_MS, &origin,
                                        MOMENTS_LEAP_BEFORE, 10, &year), 0);
    }
    /* 21 March 2024 is 2 Farvardin 1403: no birthday then, though it was one in 2023 and is in 2025 */
    int year;
    assert_int_equal(moments_due_at(CALENDAR_PERSIAN, "Asia/Tehran", utc_ms(2024, 3, 21, 12, 0), &origin,
                                    MOMENTS_LEAP_BEFORE, 10, &year), 0);
}

static void test_february_29_moves_by_policy_in_common_years(void **state)
{
    ASSERT_OCC(CALENDAR_GREGORIAN, 2, 29, 2024, MOMENTS_LEAP_BEFORE, 2024, 2, 29);
    ASSERT_OCC(CALENDAR_GREGORIAN, 2, 29, 2024, MOMENTS_LEAP_AFTER, 2024, 2, 29);
    ASSERT_OCC(CALENDAR_GREGORIAN, 2, 29, 2025, MOMENTS_LEAP_BEFORE, 2025, 2, 28);
    ASSERT_OCC(CALENDAR_GREGORIAN, 2, 29, 2025, MOMENTS_LEAP_AFTER, 2025, 3, 1);
    ASSERT_OCC(CALENDAR_GREGORIAN, 2, 29, 2100, MOMENTS_LEAP_BEFORE, 2100, 2, 28); /* not a leap year */
    ASSERT_OCC(CALENDAR_GREGORIAN, 2, 29, 2000, MOMENTS_LEAP_AFTER, 2000, 2, 29);  /* a leap year */
    moments_date origin = {2000, 2, 29}, day;
    int year = 0;
    day = (moments_date){2025, 2, 28};
    assert_true(moments_due(CALENDAR_GREGORIAN, &origin, &day, MOMENTS_LEAP_BEFORE, &year));
    assert_int_equal(year, 2025);
    assert_false(moments_due(CALENDAR_GREGORIAN, &origin, &day, MOMENTS_LEAP_AFTER, &year));
    day = (moments_date){2025, 3, 1};
    assert_true(moments_due(CALENDAR_GREGORIAN, &origin, &day, MOMENTS_LEAP_AFTER, &year));
    assert_false(moments_due(CALENDAR_GREGORIAN, &origin, &day, MOMENTS_LEAP_BEFORE, &year));
    /* in a leap year only the day itself, whatever the policy */
    day = (moments_date){2024, 2, 28};
    assert_false(moments_due(CALENDAR_GREGORIAN, &origin, &day, MOMENTS_LEAP_BEFORE, &year));
    day = (moments_date){2024, 3, 1};
    assert_false(moments_due(CALENDAR_GREGORIAN, &origin, &day, MOMENTS_LEAP_AFTER, &year));
    day = (moments_date){2024, 2, 29};
    assert_true(moments_due(CALENDAR_GREGORIAN, &origin, &day, MOMENTS_LEAP_AFTER, &year));
    assert_int_equal(year, 2024);
}

static void test_esfand_30_moves_by_policy_in_common_years_and_keeps_its_year(void **state)
{
    /* 1403 is a Persian leap year, 1402 and 1404 are not */
    ASSERT_OCC(CALENDAR_PERSIAN, 12, 30, 1403, MOMENTS_LEAP_BEFORE, 1403, 12, 30);
    ASSERT_OCC(CALENDAR_PERSIAN, 12, 30, 1402, MOMENTS_LEAP_BEFORE, 1402, 12, 29);
    ASSERT_OCC(CALENDAR_PERSIAN, 12, 30, 1402, MOMENTS_LEAP_AFTER, 1403, 1, 1);
    ASSERT_OCC(CALENDAR_PERSIAN, 12, 30, 1404, MOMENTS_LEAP_AFTER, 1405, 1, 1);
    moments_date origin = {1399, 12, 30}, day = {1403, 1, 1};
    int year = 0;
    /* 1 Farvardin 1403 stands in for 30 Esfand 1402: the occurrence of year 1402 */
    assert_true(moments_due(CALENDAR_PERSIAN, &origin, &day, MOMENTS_LEAP_AFTER, &year));
    assert_int_equal(year, 1402);
    assert_false(moments_due(CALENDAR_PERSIAN, &origin, &day, MOMENTS_LEAP_BEFORE, &year));
    day = (moments_date){1402, 12, 29};
    assert_true(moments_due(CALENDAR_PERSIAN, &origin, &day, MOMENTS_LEAP_BEFORE, &year));
    assert_int_equal(year, 1402);
    /* in the leap year 1403 it is 30 Esfand itself, not 29 */
    day = (moments_date){1403, 12, 29};
    assert_false(moments_due(CALENDAR_PERSIAN, &origin, &day, MOMENTS_LEAP_BEFORE, &year));
    day = (moments_date){1403, 12, 30};
    assert_true(moments_due(CALENDAR_PERSIAN, &origin, &day, MOMENTS_LEAP_AFTER, &year));
    assert_int_equal(year, 1403);
    /* a day no year has */
    moments_date o;
    assert_int_equal(moments_occurrence(CALENDAR_PERSIAN, 12, 31, 1403, MOMENTS_LEAP_BEFORE, &o), -1);
    assert_int_equal(moments_occurrence(CALENDAR_GREGORIAN, 2, 30, 2024, MOMENTS_LEAP_BEFORE, &o), -1);
    assert_int_equal(moments_occurrence(CALENDAR_GREGORIAN, 4, 31, 2024, MOMENTS_LEAP_BEFORE, &o), -1);
}

static void test_the_year_of_the_date_itself_is_no_occurrence(void **state)
{
    moments_date origin = {2025, 6, 1}, day = {2025, 6, 1};
    int year;
    assert_false(moments_due(CALENDAR_GREGORIAN, &origin, &day, MOMENTS_LEAP_BEFORE, &year));
    day.y = 2026;
    assert_true(moments_due(CALENDAR_GREGORIAN, &origin, &day, MOMENTS_LEAP_BEFORE, &year));
    assert_int_equal(year, 2026);
}

/* Three members born on 15 June, at 10:00 local, around midnight UTC of 14/15 June 2025: Auckland (UTC+12 in June)
 * is already on the 15th, Tehran (UTC+3:30) reaches it at 20:30 UTC on the 14th, Los Angeles (UTC-7) only at 07:00
 * UTC on the 15th. */
static void test_members_in_tehran_los_angeles_and_auckland_around_midnight_utc(void **state)
{
    static const char *const zones[] = {"Asia/Tehran", "America/Los_Angeles", "Pacific/Auckland"};
    moments_date origin = {1990, 6, 15};
    struct {
        int64_t at;
        int due[3];
    } steps[] = {
        {utc_ms(2025, 6, 14, 21, 30), {0, 0, 0}},  /* Tehran 01:00 on the 15th, Auckland 09:30: before 10:00 */
        {utc_ms(2025, 6, 14, 22, 0), {0, 0, 1}},   /* Auckland 10:00 on the 15th */
        {utc_ms(2025, 6, 15, 0, 0), {0, 0, 1}},    /* midnight UTC: LA 17:00 on the 14th */
        {utc_ms(2025, 6, 15, 6, 29), {0, 0, 1}},   /* Tehran 09:59 */
        {utc_ms(2025, 6, 15, 6, 30), {1, 0, 1}},   /* Tehran 10:00 */
        {utc_ms(2025, 6, 15, 12, 0), {1, 0, 0}},   /* Auckland: the 16th, the day is over, never caught up */
        {utc_ms(2025, 6, 15, 17, 0), {1, 1, 0}},   /* LA 10:00 */
        {utc_ms(2025, 6, 15, 20, 29), {1, 1, 0}},  /* Tehran 23:59: still the day */
        {utc_ms(2025, 6, 15, 20, 30), {0, 1, 0}},  /* Tehran: the 16th */
        {utc_ms(2025, 6, 16, 6, 59), {0, 1, 0}},   /* LA 23:59 */
        {utc_ms(2025, 6, 16, 7, 0), {0, 0, 0}},    /* LA: the 16th */
    };
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        int64_t now = clock_set(steps[s].at);
        assert_int_equal(now, steps[s].at);
        for (int z = 0; z < 3; z++) {
            int year = 0;
            int due = moments_due_at(CALENDAR_GREGORIAN, zones[z], now, &origin, MOMENTS_LEAP_BEFORE, 10, &year);
            if (due != steps[s].due[z])
                fail_msg("step %zu, %s: due %d, expected %d", s, zones[z], due, steps[s].due[z]);
            if (due)
                assert_int_equal(year, 2025);
        }
    }
    int year;
    assert_int_equal(moments_due_at(CALENDAR_GREGORIAN, "Mars/Olympus", utc_ms(2025, 6, 15, 12, 0), &origin,
                                    MOMENTS_LEAP_BEFORE, 10, &year), -1);
}

/* A Jalali birthday in Tehran and Auckland: 1 Farvardin 1404 is 21 March 2025; Auckland (UTC+13 in March) starts it
 * at 11:00 UTC on 20 March, Tehran (UTC+3:30) at 20:30 UTC. */
static void test_jalali_birthday_in_zones_ahead_of_tehran(void **state)
{
    moments_date origin = {1365, 1, 1};
    int year = 0;
    int64_t now = clock_set(utc_ms(2025, 3, 20, 21, 0)); /* Auckland 10:00 on 21 March */
    assert_int_equal(moments_due_at(CALENDAR_PERSIAN, "Pacific/Auckland", now, &origin, MOMENTS_LEAP_BEFORE, 10,
                                    &year), 1);
    assert_int_equal(year, 1404);
    assert_int_equal(moments_due_at(CALENDAR_PERSIAN, "Asia/Tehran", now, &origin, MOMENTS_LEAP_BEFORE, 0, &year), 1);
    assert_int_equal(moments_due_at(CALENDAR_PERSIAN, "America/Los_Angeles", now, &origin, MOMENTS_LEAP_BEFORE, 0,
                                    &year), 0);
}

static void test_candidate_month_days_cover_every_zone_and_leap_stand_ins(void **state)
{
    int mds[MOMENTS_MDS_MAX];
    int n = moments_candidate_mds(CALENDAR_GREGORIAN, utc_ms(2025, 6, 15, 0, 0), 0, mds);
    assert_int_equal(n, 3);
    assert_int_equal(mds[0], 614);
    assert_int_equal(mds[1], 615);
    assert_int_equal(mds[2], 616);
    n = moments_candidate_mds(CALENDAR_GREGORIAN, utc_ms(2025, 2, 28, 12, 0), 0, mds);
    bool has_229 = false;
    for (int i = 0; i < n; i++)
        has_229 = has_229 || mds[i] == 229;
    assert_true(has_229);
    n = moments_candidate_mds(CALENDAR_PERSIAN, utc_ms(2025, 3, 21, 12, 0), 0, mds); /* 1 Farvardin 1404 */
    bool has_1230 = false, has_101 = false;
    for (int i = 0; i < n; i++) {
        has_1230 = has_1230 || mds[i] == 1230;
        has_101 = has_101 || mds[i] == 101;
    }
    assert_true(has_1230 && has_101);
    assert_int_equal(moments_candidate_mds(CALENDAR_GREGORIAN, utc_ms(2025, 6, 15, 0, 0), 1, mds), 5);
}

static void test_holdout_is_deterministic_and_near_its_share(void **state)
{
    int held = 0;
    for (int64_t member = 1; member <= 20000; member++) {
        bool h = moments_holdout(7, member, 2025, 100);
        assert_true(h == moments_holdout(7, member, 2025, 100));
        held += h;
    }
    assert_in_range(held, 1800, 2200); /* 10% of 20,000, give or take */
    assert_false(moments_holdout(7, 1, 2025, 0));
    assert_true(moments_holdout(7, 1, 2025, 1000));
    /* another year draws again */
    int both = 0;
    for (int64_t member = 1; member <= 20000; member++)
        both += moments_holdout(7, member, 2025, 100) && moments_holdout(7, member, 2026, 100);
    assert_in_range(both, 100, 300);
}

static void test_leap_policy_names(void **state)
{
    moments_leap p;
    assert_int_equal(moments_leap_from_name("before", &p), 0);
    assert_int_equal(p, MOMENTS_LEAP_BEFORE);
    assert_int_equal(moments_leap_from_name("after", &p), 0);
    assert_string_equal(moments_leap_name(p), "after");
    assert_int_equal(moments_leap_from_name("later", &p), -1);
    assert_int_equal(moments_leap_from_name(NULL, &p), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jalali_birthday_comes_on_the_same_jalali_day_on_different_gregorian_days),
        cmocka_unit_test(test_february_29_moves_by_policy_in_common_years),
        cmocka_unit_test(test_esfand_30_moves_by_policy_in_common_years_and_keeps_its_year),
        cmocka_unit_test(test_the_year_of_the_date_itself_is_no_occurrence),
        cmocka_unit_test(test_members_in_tehran_los_angeles_and_auckland_around_midnight_utc),
        cmocka_unit_test(test_jalali_birthday_in_zones_ahead_of_tehran),
        cmocka_unit_test(test_candidate_month_days_cover_every_zone_and_leap_stand_ins),
        cmocka_unit_test(test_holdout_is_deterministic_and_near_its_share),
        cmocka_unit_test(test_leap_policy_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
