/*
 * test_timefmt.c: unit tests for src/core/timefmt.c (RFC 3339 with milliseconds, parsing dates and
 * times with Z or an offset).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/timefmt.h"

#define NEW_YEAR_2026_MS INT64_C(1767225600000)

#define ASSERT_FORMATS(ms, want)                                                                   \
    do {                                                                                           \
        char out_[TIMEFMT_LEN];                                                                    \
        timefmt_rfc3339((ms), out_);                                                               \
        assert_string_equal(out_, (want));                                                         \
    } while (0)

#define ASSERT_PARSES(s, want_ms)                                                                  \
    do {                                                                                           \
        int64_t got_ = -42;                                                                        \
        if (timefmt_parse((s), &got_) != 0)                                                        \
            fail_msg("'%s' was refused", (s));                                                     \
        if (got_ != (int64_t)(want_ms))                                                            \
            fail_msg("'%s' gave %lld, want %lld", (s), (long long)got_, (long long)(want_ms));     \
    } while (0)

#define ASSERT_REFUSED(s)                                                                          \
    do {                                                                                           \
        int64_t got_ = -42;                                                                        \
        if (timefmt_parse((s), &got_) != -1)                                                       \
            fail_msg("'%s' was accepted as %lld", (s), (long long)got_);                           \
        assert_true(got_ == -42);                                                                  \
    } while (0)

static void test_format_writes_utc_with_milliseconds(void **state)
{
    (void)state;
    ASSERT_FORMATS(0, "1970-01-01T00:00:00.000Z");
    ASSERT_FORMATS(NEW_YEAR_2026_MS, "2026-01-01T00:00:00.000Z");
    ASSERT_FORMATS(INT64_C(1732553265123), "2024-11-25T16:47:45.123Z");
    ASSERT_FORMATS(INT64_C(1732553265007), "2024-11-25T16:47:45.007Z");
    ASSERT_FORMATS(NEW_YEAR_2026_MS - 1, "2025-12-31T23:59:59.999Z");
    ASSERT_FORMATS(INT64_C(951782400000), "2000-02-29T00:00:00.000Z");
}

static void test_format_handles_times_before_the_epoch(void **state)
{
    (void)state;
    ASSERT_FORMATS(-1, "1969-12-31T23:59:59.999Z");
    ASSERT_FORMATS(-1000, "1969-12-31T23:59:59.000Z");
    ASSERT_FORMATS(-1001, "1969-12-31T23:59:58.999Z");
}

static void test_parse_date_alone_is_midnight_utc(void **state)
{
    (void)state;
    ASSERT_PARSES("2026-01-01", NEW_YEAR_2026_MS);
    ASSERT_PARSES("1970-01-01", 0);
    ASSERT_PARSES("2024-02-29", INT64_C(1709164800000));
}

static void test_parse_rfc3339_with_z(void **state)
{
    (void)state;
    ASSERT_PARSES("2026-01-01T00:00:00Z", NEW_YEAR_2026_MS);
    ASSERT_PARSES("2026-01-01t00:00:00z", NEW_YEAR_2026_MS);
    ASSERT_PARSES("2024-11-25T16:47:45Z", INT64_C(1732553265000));
}

static void test_parse_reads_fractions_as_milliseconds(void **state)
{
    (void)state;
    ASSERT_PARSES("2024-11-25T16:47:45.123Z", INT64_C(1732553265123));
    ASSERT_PARSES("2024-11-25T16:47:45.5Z", INT64_C(1732553265500));
    ASSERT_PARSES("2024-11-25T16:47:45.05Z", INT64_C(1732553265050));
    ASSERT_PARSES("2024-11-25T16:47:45.123999Z", INT64_C(1732553265123)); /* truncated, not rounded */
}

static void test_parse_applies_offsets(void **state)
{
    (void)state;
    ASSERT_PARSES("2026-01-01T03:30:00+03:30", NEW_YEAR_2026_MS);
    ASSERT_PARSES("2025-12-31T19:00:00-05:00", NEW_YEAR_2026_MS);
    ASSERT_PARSES("2026-01-01T00:00:00+00:00", NEW_YEAR_2026_MS);
    ASSERT_PARSES("2026-01-01T00:00:00-00:00", NEW_YEAR_2026_MS);
    ASSERT_PARSES("2026-01-01T03:30:00.250+03:30", NEW_YEAR_2026_MS + 250);
}

static void test_parse_reads_what_format_writes(void **state)
{
    (void)state;
    const int64_t samples[] = {0, 1, 999, NEW_YEAR_2026_MS, INT64_C(1732553265123), INT64_C(4102444799999)};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char text[TIMEFMT_LEN];
        timefmt_rfc3339(samples[i], text);
        ASSERT_PARSES(text, samples[i]);
    }
}

static void test_parse_refuses_impossible_dates(void **state)
{
    (void)state;
    ASSERT_REFUSED("2023-02-30");
    ASSERT_REFUSED("2023-02-29"); /* not a leap year */
    ASSERT_REFUSED("2100-02-29"); /* century, not a leap year */
    ASSERT_REFUSED("2023-04-31");
    ASSERT_REFUSED("2023-13-01");
    ASSERT_REFUSED("2023-00-10");
    ASSERT_REFUSED("2023-01-00");
    ASSERT_REFUSED("2023-01-32");
    ASSERT_REFUSED("2023-02-30T10:00:00Z");
}

static void test_parse_refuses_impossible_times(void **state)
{
    (void)state;
    ASSERT_REFUSED("2023-01-01T24:00:00Z");
    ASSERT_REFUSED("2023-01-01T12:60:00Z");
    ASSERT_REFUSED("2023-01-01T12:00:61Z");
}

static void test_parse_refuses_malformed_text(void **state)
{
    (void)state;
    ASSERT_REFUSED("");
    ASSERT_REFUSED("yesterday");
    ASSERT_REFUSED("2023-1-01");
    ASSERT_REFUSED("23-01-01");
    ASSERT_REFUSED("2023/01/01");
    ASSERT_REFUSED("2023-01-01x");
    ASSERT_REFUSED("2023-01-01 ");
    ASSERT_REFUSED("2023-01-01T12:00:00");      /* a time needs a zone */
    ASSERT_REFUSED("2023-01-01T12:00Z");        /* seconds are required */
    ASSERT_REFUSED("2023-01-01T12:00:00+0330"); /* offsets have a colon */
    ASSERT_REFUSED("2023-01-01T12:00:00+03");
    ASSERT_REFUSED("2023-01-01T12:00:00Zjunk");
    ASSERT_REFUSED("2023-01-01T12:00:00+03:30junk");
}

/* Every field is exactly its digits: no signs, no spaces standing in for zeros, no empty fraction. */
static void test_parse_refuses_signs_spaces_and_empty_fields(void **state)
{
    (void)state;
    ASSERT_REFUSED("+202-01-01");
    ASSERT_REFUSED("2023- 1-01");
    ASSERT_REFUSED("2023-01-+1");
    ASSERT_REFUSED("2023-01-01T 1:00:00Z");
    ASSERT_REFUSED("2023-01-01T12:-1:00Z");
    ASSERT_REFUSED("2023-01-01T12:00:00.Z");
}

static void test_parse_refuses_offsets_out_of_range(void **state)
{
    (void)state;
    ASSERT_REFUSED("2023-01-01T12:00:00+24:00");
    ASSERT_REFUSED("2023-01-01T12:00:00+05:60");
    ASSERT_REFUSED("2023-01-01T12:00:00+99:99");
    ASSERT_REFUSED("2023-01-01T12:00:00+-1:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_writes_utc_with_milliseconds),
        cmocka_unit_test(test_format_handles_times_before_the_epoch),
        cmocka_unit_test(test_parse_date_alone_is_midnight_utc),
        cmocka_unit_test(test_parse_rfc3339_with_z),
        cmocka_unit_test(test_parse_reads_fractions_as_milliseconds),
        cmocka_unit_test(test_parse_applies_offsets),
        cmocka_unit_test(test_parse_reads_what_format_writes),
        cmocka_unit_test(test_parse_refuses_impossible_dates),
        cmocka_unit_test(test_parse_refuses_impossible_times),
        cmocka_unit_test(test_parse_refuses_malformed_text),
        cmocka_unit_test(test_parse_refuses_signs_spaces_and_empty_fields),
        cmocka_unit_test(test_parse_refuses_offsets_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
