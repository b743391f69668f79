/*
 * test_periods.c: unit tests for src/core/periods.c (report periods in a zone and calendar): Jalali and Gregorian
 * months, weeks starting on Saturday or Monday, days at local midnight, labels, and the limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/periods.h"
#include "core/timefmt.h"

static int64_t at(const char *s)
{
    int64_t ms;
    assert_int_equal(timefmt_parse(s, &ms), 0);
    return ms;
}

static void assert_time(int64_t ms, const char *want)
{
    char got[TIMEFMT_LEN];
    timefmt_rfc3339(ms, got);
    assert_string_equal(got, want);
}

static void test_jalali_months_start_at_tehran_midnight(void **state)
{
    int64_t starts[8];
    char labels[7][16];
    int n;
    assert_int_equal(periods_split(CALENDAR_PERSIAN, "Asia/Tehran", PERIODS_MONTH, at("2026-01-01"), at("2026-03-01"),
                                   starts, labels, 7, &n),
                     0);
    assert_int_equal(n, 3);
    assert_time(starts[0], "2025-12-21T20:30:00.000Z"); /* 1 Dey 1404 */
    assert_time(starts[1], "2026-01-20T20:30:00.000Z"); /* 1 Bahman */
    assert_time(starts[2], "2026-02-19T20:30:00.000Z"); /* 1 Esfand: 29 days in 1404 */
    assert_time(starts[3], "2026-03-20T20:30:00.000Z"); /* 1 Farvardin 1405 */
    assert_string_equal(labels[0], "1404-10");
    assert_string_equal(labels[2], "1404-12");
}

static void test_gregorian_months_and_iso_weeks(void **state)
{
    int64_t starts[8];
    char labels[7][16];
    int n;
    assert_int_equal(periods_split(CALENDAR_GREGORIAN, "UTC", PERIODS_MONTH, at("2024-02-10"), at("2024-03-02"),
                                   starts, labels, 7, &n),
                     0);
    assert_int_equal(n, 2);
    assert_time(starts[0], "2024-02-01T00:00:00.000Z");
    assert_time(starts[1], "2024-03-01T00:00:00.000Z");
    assert_string_equal(labels[0], "2024-02");
    /* 2026-02-25 is a Wednesday: its ISO week starts on Monday the 23rd. */
    assert_int_equal(periods_split(CALENDAR_GREGORIAN, "UTC", PERIODS_WEEK, at("2026-02-25"), at("2026-03-03"), starts,
                                   labels, 7, &n),
                     0);
    assert_int_equal(n, 2);
    assert_time(starts[0], "2026-02-23T00:00:00.000Z");
    assert_time(starts[1], "2026-03-02T00:00:00.000Z");
    assert_string_equal(labels[1], "2026-03-02");
}

static void test_persian_weeks_start_on_saturday(void **state)
{
    int64_t starts[4];
    char labels[3][16];
    int n;
    assert_int_equal(periods_split(CALENDAR_PERSIAN, "Asia/Tehran", PERIODS_WEEK, at("2026-02-24"), at("2026-02-25"),
                                   starts, labels, 3, &n),
                     0);
    assert_int_equal(n, 1);
    assert_time(starts[0], "2026-02-20T20:30:00.000Z"); /* Saturday 21 February = 2 Esfand */
    assert_time(starts[1], "2026-02-27T20:30:00.000Z");
    assert_string_equal(labels[0], "1404-12-02");
}

static void test_days_and_limits(void **state)
{
    int64_t starts[4];
    char labels[3][16];
    int n;
    assert_int_equal(periods_split(CALENDAR_GREGORIAN, "Asia/Tehran", PERIODS_DAY, at("2026-02-23T00:00:00Z"),
                                   at("2026-02-24T00:00:00Z"), starts, labels, 3, &n),
                     0);
    assert_int_equal(n, 2); /* 23 February from 20:30Z on the 22nd, and 24 February from 20:30Z on the 23rd */
    assert_string_equal(labels[0], "2026-02-23");
    assert_int_equal(periods_split(CALENDAR_GREGORIAN, "UTC", PERIODS_DAY, at("2026-01-01"), at("2026-01-10"), starts,
                                   labels, 3, &n),
                     -1);
    assert_int_equal(periods_split(CALENDAR_GREGORIAN, "Mars/Olympus", PERIODS_DAY, at("2026-01-01"), at("2026-01-02"),
                                   starts, labels, 3, &n),
                     -1);
    periods_unit u;
    assert_int_equal(periods_from_name("week", &u), 0);
    assert_int_equal(u, PERIODS_WEEK);
    assert_int_equal(periods_from_name("year", &u), -1);
    assert_string_equal(periods_name(PERIODS_MONTH), "month");
}

/* Budget periods as written: a Jalali year runs from Nowruz to Nowruz at Tehran midnight; a leap year's Esfand has
 * 30 days; Gregorian years and months in other zones; bad labels say why. */
static void test_budget_periods_parse_in_the_club_calendar(void **state)
{
    (void)state;
    int64_t from, to;
    calendar_unit u;
    const char *why = NULL;
    assert_int_equal(periods_parse(CALENDAR_PERSIAN, "Asia/Tehran", "1405", &from, &to, &u, &why), 0);
    assert_int_equal(u, CALENDAR_YEAR);
    assert_time(from, "2026-03-20T20:30:00.000Z");
    assert_time(to, "2027-03-20T20:30:00.000Z");
    assert_int_equal(periods_parse(CALENDAR_PERSIAN, "Asia/Tehran", "1405-01", &from, &to, &u, NULL), 0);
    assert_int_equal(u, CALENDAR_MONTH);
    assert_time(from, "2026-03-20T20:30:00.000Z");
    assert_time(to, "2026-04-20T20:30:00.000Z"); /* Farvardin: 31 days */
    /* Esfand 1403 (a leap year) has 30 days, Esfand 1404 29 */
    assert_int_equal(periods_parse(CALENDAR_PERSIAN, "Asia/Tehran", "1403-12", &from, &to, NULL, NULL), 0);
    assert_int_equal((to - from) / 86400000, 30);
    assert_int_equal(periods_parse(CALENDAR_PERSIAN, "Asia/Tehran", "1404-12", &from, &to, NULL, NULL), 0);
    assert_int_equal((to - from) / 86400000, 29);
    assert_int_equal(periods_parse(CALENDAR_GREGORIAN, "UTC", "2026-02", &from, &to, NULL, NULL), 0);
    assert_time(from, "2026-02-01T00:00:00.000Z");
    assert_time(to, "2026-03-01T00:00:00.000Z");
    assert_int_equal(periods_parse(CALENDAR_GREGORIAN, "America/Los_Angeles", "2026", &from, &to, NULL, NULL), 0);
    assert_time(from, "2026-01-01T08:00:00.000Z");
    assert_time(to, "2027-01-01T08:00:00.000Z");
    const char *bad[] = {"", "140", "14055", "1405-1", "1405-13", "1405-00", "0000", "1405/01", "۱۴۰۵", "1405-01-01",
                         "+405"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        assert_int_equal(periods_parse(CALENDAR_PERSIAN, "Asia/Tehran", bad[i], &from, &to, NULL, &why), -1);
        assert_non_null(why);
    }
    assert_int_equal(periods_parse(CALENDAR_PERSIAN, "Mars/Olympus", "1405", &from, &to, NULL, &why), -1);
    assert_int_equal(periods_parse(CALENDAR_PERSIAN, "Asia/Tehran", NULL, &from, &to, NULL, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jalali_months_start_at_tehran_midnight),
        cmocka_unit_test(test_gregorian_months_and_iso_weeks),
        cmocka_unit_test(test_persian_weeks_start_on_saturday),
        cmocka_unit_test(test_days_and_limits),
        cmocka_unit_test(test_budget_periods_parse_in_the_club_calendar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
