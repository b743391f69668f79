/*
 * test_calendar.c: unit tests for src/core/calendar.c (Gregorian and Persian dates, time zones).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "core/calendar.h"

static int parse(const char *s, calendar_kind k, int *y, int *m, int *d, const char **why)
{
    return calendar_date_parse(s, strlen(s), k, y, m, d, why);
}

#define ASSERT_DATE(s, k, wy, wm, wd)                                                              \
    do {                                                                                           \
        int y_ = 0, m_ = 0, d_ = 0;                                                                \
        const char *why_ = NULL;                                                                   \
        if (parse((s), (k), &y_, &m_, &d_, &why_) != 0) {                                          \
            fail_msg("%s: %s", (s), why_);                                                         \
        }                                                                                          \
        assert_int_equal(y_, (wy));                                                                \
        assert_int_equal(m_, (wm));                                                                \
        assert_int_equal(d_, (wd));                                                                \
    } while (0)

#define ASSERT_NOT_DATE(s, k, want_why)                                                            \
    do {                                                                                           \
        int y_ = 0, m_ = 0, d_ = 0;                                                                \
        const char *why_ = NULL;                                                                   \
        assert_int_equal(parse((s), (k), &y_, &m_, &d_, &why_), -1);                               \
        assert_string_equal(why_, (want_why));                                                     \
    } while (0)

#define NOT_PERSIAN "is not a real date in the persian calendar"
#define NOT_GREGORIAN "is not a real date in the gregorian calendar"
#define BAD_FORM "must be a date as YYYY-MM-DD"

static void test_calendar_names_round_trip(void **state)
{
    (void)state;
    calendar_kind k = CALENDAR_PERSIAN;
    assert_int_equal(calendar_from_name("gregorian", &k), 0);
    assert_int_equal(k, CALENDAR_GREGORIAN);
    assert_string_equal(calendar_name(k), "gregorian");
    assert_int_equal(calendar_from_name("persian", &k), 0);
    assert_int_equal(k, CALENDAR_PERSIAN);
    assert_string_equal(calendar_name(k), "persian");
}

static void test_unknown_calendar_names_are_refused(void **state)
{
    (void)state;
    calendar_kind k;
    assert_int_equal(calendar_from_name("Persian", &k), -1);
    assert_int_equal(calendar_from_name("hijri", &k), -1);
    assert_int_equal(calendar_from_name("", &k), -1);
    assert_int_equal(calendar_from_name(NULL, &k), -1);
    assert_string_equal(calendar_name((calendar_kind)42), "gregorian");
}

static void test_gregorian_date_parses(void **state)
{
    (void)state;
    ASSERT_DATE("2024-03-20", CALENDAR_GREGORIAN, 2024, 3, 20);
    ASSERT_DATE("0001-01-01", CALENDAR_GREGORIAN, 1, 1, 1);
    ASSERT_DATE("9999-12-31", CALENDAR_GREGORIAN, 9999, 12, 31);
}

static void test_persian_and_arabic_digits_in_dates_are_accepted(void **state)
{
    (void)state;
    ASSERT_DATE("۱۳۷۰-۰۱-۰۵", CALENDAR_PERSIAN, 1370, 1, 5);
    ASSERT_DATE("١٤٠٣-١٢-٣٠", CALENDAR_PERSIAN, 1403, 12, 30);
    ASSERT_DATE("۲۰۲۴-02-۲۹", CALENDAR_GREGORIAN, 2024, 2, 29);
}

static void test_esfand_30_exists_only_in_persian_leap_years(void **state)
{
    (void)state;
    ASSERT_DATE("1403-12-30", CALENDAR_PERSIAN, 1403, 12, 30);
    ASSERT_DATE("1399-12-30", CALENDAR_PERSIAN, 1399, 12, 30);
    ASSERT_DATE("1408-12-30", CALENDAR_PERSIAN, 1408, 12, 30);
    ASSERT_NOT_DATE("1402-12-30", CALENDAR_PERSIAN, NOT_PERSIAN);
    ASSERT_NOT_DATE("1404-12-30", CALENDAR_PERSIAN, NOT_PERSIAN);
    ASSERT_NOT_DATE("1403-12-31", CALENDAR_PERSIAN, NOT_PERSIAN);
}

static void test_persian_month_lengths(void **state)
{
    (void)state;
    ASSERT_DATE("1403-06-31", CALENDAR_PERSIAN, 1403, 6, 31); /* first six months have 31 days */
    ASSERT_NOT_DATE("1403-07-31", CALENDAR_PERSIAN, NOT_PERSIAN); /* the next five have 30 */
    ASSERT_DATE("1403-11-30", CALENDAR_PERSIAN, 1403, 11, 30);
}

static void test_february_29_exists_only_in_gregorian_leap_years(void **state)
{
    (void)state;
    ASSERT_DATE("2024-02-29", CALENDAR_GREGORIAN, 2024, 2, 29);
    ASSERT_DATE("2000-02-29", CALENDAR_GREGORIAN, 2000, 2, 29);
    ASSERT_NOT_DATE("2023-02-29", CALENDAR_GREGORIAN, NOT_GREGORIAN);
    ASSERT_NOT_DATE("1900-02-29", CALENDAR_GREGORIAN, NOT_GREGORIAN);
    ASSERT_NOT_DATE("2024-04-31", CALENDAR_GREGORIAN, NOT_GREGORIAN);
    ASSERT_NOT_DATE("2024-01-32", CALENDAR_GREGORIAN, NOT_GREGORIAN);
    ASSERT_NOT_DATE("2024-01-00", CALENDAR_GREGORIAN, NOT_GREGORIAN);
}

static void test_gregorian_is_proleptic_before_1582(void **state)
{
    (void)state;
    /* 1500 is a Julian leap year but not a Gregorian one; 1582-10-10 fell in the Julian gap. */
    ASSERT_NOT_DATE("1500-02-29", CALENDAR_GREGORIAN, NOT_GREGORIAN);
    ASSERT_DATE("1582-10-10", CALENDAR_GREGORIAN, 1582, 10, 10);
}

static void test_date_form_is_strict(void **state)
{
    (void)state;
    const char *bad[] = {"",           "2024-2-29",   "2024-02-5",    "24-02-05",   "2024/02/05",
                         " 2024-02-05", "2024-02-05 ", "2024-02-05x", "20240205",   "2024-02-0a",
                         "+024-02-05", "2024-+2-05",  "2024–02–05",   "\xC0\xAF",   "2024-02-05T00:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_NOT_DATE(bad[i], CALENDAR_GREGORIAN, BAD_FORM);
    }
    ASSERT_NOT_DATE("0000-01-01", CALENDAR_GREGORIAN, "year must be between 1 and 9999");
    ASSERT_NOT_DATE("2024-13-01", CALENDAR_GREGORIAN, "month must be between 01 and 12");
    ASSERT_NOT_DATE("1403-00-01", CALENDAR_PERSIAN, "month must be between 01 and 12");
}

static void test_persian_dates_convert_to_gregorian(void **state)
{
    (void)state;
    const struct {
        int y, m, d, gy, gm, gd;
    } cases[] = {
        {1403, 1, 1, 2024, 3, 20},
        {1404, 1, 1, 2025, 3, 21},
        {1403, 12, 30, 2025, 3, 20},
        {1370, 1, 5, 1991, 3, 25},
        {1357, 11, 22, 1979, 2, 11},
        {1, 1, 1, 622, 3, 21}, /* ICU's arithmetic epoch */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int gy = 0, gm = 0, gd = 0;
        assert_int_equal(
            calendar_to_gregorian(CALENDAR_PERSIAN, cases[i].y, cases[i].m, cases[i].d, &gy, &gm, &gd), 0);
        assert_int_equal(gy, cases[i].gy);
        assert_int_equal(gm, cases[i].gm);
        assert_int_equal(gd, cases[i].gd);
        int y = 0, m = 0, d = 0;
        assert_int_equal(calendar_from_gregorian(CALENDAR_PERSIAN, gy, gm, gd, &y, &m, &d), 0);
        assert_int_equal(y, cases[i].y);
        assert_int_equal(m, cases[i].m);
        assert_int_equal(d, cases[i].d);
    }
}

static void test_gregorian_to_gregorian_is_identity(void **state)
{
    (void)state;
    int y = 0, m = 0, d = 0;
    assert_int_equal(calendar_to_gregorian(CALENDAR_GREGORIAN, 2024, 2, 29, &y, &m, &d), 0);
    assert_true(y == 2024 && m == 2 && d == 29);
    assert_int_equal(calendar_from_gregorian(CALENDAR_GREGORIAN, 1, 1, 1, &y, &m, &d), 0);
    assert_true(y == 1 && m == 1 && d == 1);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The next real Persian day after y-m-d, found through the library's own validation. */
static void persian_next_day(int *y, int *m, int *d)
{
    int gy, gm, gd;
    if (calendar_to_gregorian(CALENDAR_PERSIAN, *y, *m, *d + 1, &gy, &gm, &gd) == 0) {
        *d += 1;
    } else if (*m < 12) {
        *m += 1;
        *d = 1;
    } else {
        *y += 1;
        *m = 1;
        *d = 1;
    }
}

static void test_every_day_of_ten_persian_years_round_trips(void **state)
{
    (void)state;
    int y = 1400, m = 1, d = 1;
    long prev = 0;
    int days = 0;
    while (y < 1410) {
        int gy = 0, gm = 0, gd = 0;
        assert_int_equal(calendar_to_gregorian(CALENDAR_PERSIAN, y, m, d, &gy, &gm, &gd), 0);
        long day = days_from_civil(gy, gm, gd);
        if (days > 0) {
            assert_int_equal(day, prev + 1); /* consecutive Persian days are consecutive days */
        }
        int ry = 0, rm = 0, rd = 0;
        assert_int_equal(calendar_from_gregorian(CALENDAR_PERSIAN, gy, gm, gd, &ry, &rm, &rd), 0);
        assert_true(ry == y && rm == m && rd == d);
        prev = day;
        days++;
        persian_next_day(&y, &m, &d);
    }
    /* 1400..1409 holds two leap years, 1403 and 1408. */
    assert_int_equal(days, 10 * 365 + 2);
    /* And it starts on Nowruz 2021. */
    assert_int_equal(prev - (long)(days - 1), days_from_civil(2021, 3, 21));
}

static void test_conversion_refuses_unreal_dates_and_leaves_outputs(void **state)
{
    (void)state;
    int y = 7, m = 7, d = 7;
    assert_int_equal(calendar_to_gregorian(CALENDAR_PERSIAN, 1402, 12, 30, &y, &m, &d), -1);
    assert_int_equal(calendar_from_gregorian(CALENDAR_PERSIAN, 2023, 2, 29, &y, &m, &d), -1);
    assert_int_equal(calendar_to_gregorian(CALENDAR_GREGORIAN, 0, 1, 1, &y, &m, &d), -1);
    assert_int_equal(calendar_to_gregorian(CALENDAR_GREGORIAN, 10000, 1, 1, &y, &m, &d), -1);
    assert_int_equal(calendar_to_gregorian((calendar_kind)9, 2024, 1, 1, &y, &m, &d), -1);
    assert_true(y == 7 && m == 7 && d == 7);
}

static void test_gregorian_dates_before_the_persian_epoch_do_not_convert(void **state)
{
    (void)state;
    int y = 0, m = 0, d = 0;
    assert_int_equal(calendar_from_gregorian(CALENDAR_PERSIAN, 600, 1, 1, &y, &m, &d), -1);
    assert_int_equal(calendar_from_gregorian(CALENDAR_PERSIAN, 622, 3, 20, &y, &m, &d), -1);
    assert_int_equal(calendar_from_gregorian(CALENDAR_PERSIAN, 622, 3, 21, &y, &m, &d), 0);
    assert_true(y == 1 && m == 1 && d == 1);
}

static void test_iana_time_zones_are_valid(void **state)
{
    (void)state;
    const char *ok[] = {"Asia/Tehran", "Europe/Berlin", "UTC", "America/New_York",
                        "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Kolkata"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (!calendar_tz_valid(ok[i])) {
            fail_msg("%s should be valid", ok[i]);
        }
    }
}

static void test_unknown_and_custom_time_zones_are_invalid(void **state)
{
    (void)state;
    const char *bad[] = {"",       "Mars/Base",    "+03:30",       "GMT+5",         "GMT+05:00",
                         "UTC+1",  "Asia/Tehran ", " Asia/Tehran", "Asia/Tehran\n", "Asia/Teh ran",
                         "../../etc/passwd", "Asia/Tehran\xC2\xA0", "asia/tehran", "Etc/Unknown"};
    assert_true(calendar_tz_valid("Asia/Tehran")); /* now remembered as valid: its near misses still are not */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (calendar_tz_valid(bad[i])) {
            fail_msg("\"%s\" should be invalid", bad[i]);
        }
    }
    assert_false(calendar_tz_valid(NULL));
    char huge[200];
    memset(huge, 'A', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_false(calendar_tz_valid(huge));
}

static void *calendar_worker(void *arg)
{
    intptr_t ok = 1;
    for (int i = 0; i < 1000; i++) {
        int y = 0, m = 0, d = 0;
        const char *why = NULL;
        ok &= calendar_date_parse("1403-12-30", 10, CALENDAR_PERSIAN, &y, &m, &d, &why) == 0;
        ok &= calendar_date_parse("1402-12-30", 10, CALENDAR_PERSIAN, &y, &m, &d, &why) == -1;
        ok &= calendar_to_gregorian(CALENDAR_PERSIAN, 1403, 1, 1, &y, &m, &d) == 0 && y == 2024 && m == 3 &&
              d == 20;
    }
    (void)arg;
    return (void *)ok;
}

static void test_calendars_work_from_many_threads(void **state)
{
    (void)state;
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, calendar_worker, NULL), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *ok = NULL;
        assert_int_equal(pthread_join(threads[i], &ok), 0);
        assert_true(ok == (void *)1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calendar_names_round_trip),
        cmocka_unit_test(test_unknown_calendar_names_are_refused),
        cmocka_unit_test(test_gregorian_date_parses),
        cmocka_unit_test(test_persian_and_arabic_digits_in_dates_are_accepted),
        cmocka_unit_test(test_esfand_30_exists_only_in_persian_leap_years),
        cmocka_unit_test(test_persian_month_lengths),
        cmocka_unit_test(test_february_29_exists_only_in_gregorian_leap_years),
        cmocka_unit_test(test_gregorian_is_proleptic_before_1582),
        cmocka_unit_test(test_date_form_is_strict),
        cmocka_unit_test(test_persian_dates_convert_to_gregorian),
        cmocka_unit_test(test_gregorian_to_gregorian_is_identity),
        cmocka_unit_test(test_every_day_of_ten_persian_years_round_trips),
        cmocka_unit_test(test_conversion_refuses_unreal_dates_and_leaves_outputs),
        cmocka_unit_test(test_gregorian_dates_before_the_persian_epoch_do_not_convert),
        cmocka_unit_test(test_iana_time_zones_are_valid),
        cmocka_unit_test(test_unknown_and_custom_time_zones_are_invalid),
        cmocka_unit_test(test_calendars_work_from_many_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
