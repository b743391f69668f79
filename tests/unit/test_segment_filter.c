/*
 * test_segment_filter.c: unit tests for src/core/segment_filter.c (the segment filter language): valid trees and
 * the SQL and parameters they give, each kind of error with the path it names, and birthday windows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/member.h"
#include "core/segment_filter.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define DAY_MS INT64_C(86400000)

static const segment_context ctx = {NOW_MS, "Asia/Tehran"};

/* Compiles text; returns the error count, the SQL in out (release it). */
static int compile(const char *text, segment_sql *out, errlist *e)
{
    json_error_t jerr;
    json_t *f = json_loads(text, 0, &jerr);
    if (!f)
        fail_msg("bad test JSON: %s", jerr.text);
    errlist_init(e);
    int n = segment_filter_compile(f, "filter", &ctx, out, e);
    json_decref(f);
    return n;
}

/* Expects exactly one error, at field, whose message holds `contains`. */
static void expect_error(const char *text, const char *field, const char *contains)
{
    segment_sql s;
    errlist e;
    int n = compile(text, &s, &e);
    segment_sql_release(&s);
    if (n < 1)
        fail_msg("%s: no error", text);
    for (int i = 0; i < e.count && i < ERRLIST_MAX; i++)
        if (strcmp(e.items[i].field, field) == 0 && strstr(e.items[i].message, contains))
            return;
    fail_msg("%s: want %s \"%s\", got %s \"%s\"", text, field, contains, e.items[0].field, e.items[0].message);
}

static void test_three_conditions_compile_to_bound_sql(void **state)
{
    segment_sql s;
    errlist e;
    assert_int_equal(compile("{\"all\": [{\"field\": \"class\", \"op\": \"in\", \"value\": [\"main\", \"new\"]},"
                             " {\"field\": \"spend\", \"op\": \"gte\", \"value\": 5000000},"
                             " {\"field\": \"last_purchase\", \"op\": \"within_days\", \"value\": 30}]}",
                             &s, &e),
                     0);
    assert_string_equal(s.where, "((class IN (?, ?)) AND (total_spent_minor >= ?) AND (last_purchase_at >= ?))");
    assert_int_equal(s.count, 4);
    assert_int_equal(s.params[0].type, SEGMENT_PARAM_TEXT);
    assert_string_equal(s.params[0].text, "main");
    assert_string_equal(s.params[1].text, "new");
    assert_int_equal(s.params[2].type, SEGMENT_PARAM_INT);
    assert_int_equal(s.params[2].i, 5000000);
    assert_int_equal(s.params[3].i, NOW_MS - 30 * DAY_MS);
    segment_sql_release(&s);
}

static void test_user_text_never_becomes_sql(void **state)
{
    segment_sql s;
    errlist e;
    assert_int_equal(compile("{\"any\": [{\"field\": \"attributes.x'); DROP TABLE members;--\", \"op\": \"eq\", "
                             "\"value\": \"1' OR '1'='1\"}, {\"field\": \"time_zone\", \"op\": \"eq\", "
                             "\"value\": \"Asia/Tehran'--\"}]}",
                             &s, &e),
                     0);
    assert_null(strstr(s.where, "DROP"));
    assert_null(strchr(s.where, '\''));
    assert_string_equal(s.where, "((json_extract(attributes, ?) = ?) OR (time_zone = ?))");
    assert_string_equal(s.params[0].text, "$.\"x'); DROP TABLE members;--\"");
    assert_string_equal(s.params[1].text, "1' OR '1'='1");
    assert_string_equal(s.params[2].text, "Asia/Tehran'--");
    segment_sql_release(&s);
}

static void test_not_treats_missing_values_as_false(void **state)
{
    segment_sql s;
    errlist e;
    assert_int_equal(compile("{\"not\": {\"field\": \"rfm_r\", \"op\": \"gte\", \"value\": 4}}", &s, &e), 0);
    assert_string_equal(s.where, "(NOT coalesce((rfm_r >= ?), 0))");
    segment_sql_release(&s);
    assert_int_equal(compile("{\"field\": \"tier\", \"op\": \"ne\", \"value\": 3}", &s, &e), 0);
    assert_string_equal(s.where, "(tier_id IS NOT ?)");
    segment_sql_release(&s);
}

static void test_each_field_type_compiles(void **state)
{
    static const struct {
        const char *filter, *sql;
        int params;
    } cases[] = {
        {"{\"field\": \"joined\", \"op\": \"before\", \"value\": \"2025-06-01\"}", "(created_at < ?)", 1},
        {"{\"field\": \"joined\", \"op\": \"between\", \"value\": [\"2025-01-01\", \"2025-12-31T23:59:59Z\"]}",
         "(created_at BETWEEN ? AND ?)", 2},
        {"{\"field\": \"rfm_m\", \"op\": \"between\", \"value\": [4, 5]}", "(rfm_m BETWEEN ? AND ?)", 2},
        {"{\"field\": \"consent_sms\", \"op\": \"eq\", \"value\": true}", "(consent_sms = ?)", 1},
        {"{\"field\": \"email\", \"op\": \"exists\", \"value\": false}", "(email IS NULL)", 0},
        {"{\"field\": \"last_purchase\", \"op\": \"exists\", \"value\": true}", "(last_purchase_at IS NOT NULL)", 0},
        {"{\"field\": \"locale\", \"op\": \"ne\", \"value\": \"fa\"}", "(locale IS NOT ?)", 1},
        {"{\"field\": \"attributes.vip\", \"op\": \"eq\", \"value\": true}", "(json_extract(attributes, ?) = ?)", 2},
        {"{\"field\": \"attributes.size\", \"op\": \"in\", \"value\": [38, 39.5]}",
         "(json_extract(attributes, ?) IN (?, ?))", 3},
        {"{\"all\": []}", "1", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        segment_sql s;
        errlist e;
        if (compile(cases[i].filter, &s, &e) != 0)
            fail_msg("%s: %s %s", cases[i].filter, e.items[0].field, e.items[0].message);
        assert_string_equal(s.where, cases[i].sql);
        assert_int_equal(s.count, cases[i].params);
        segment_sql_release(&s);
    }
}

static void test_attribute_values_keep_their_json_type(void **state)
{
    segment_sql s;
    errlist e;
    assert_int_equal(compile("{\"field\": \"attributes.size\", \"op\": \"in\", \"value\": [38, 39.5, \"L\", false]}",
                             &s, &e),
                     0);
    assert_int_equal(s.params[1].type, SEGMENT_PARAM_INT);
    assert_int_equal(s.params[2].type, SEGMENT_PARAM_REAL);
    assert_true(s.params[2].r == 39.5);
    assert_int_equal(s.params[3].type, SEGMENT_PARAM_TEXT);
    assert_int_equal(s.params[4].type, SEGMENT_PARAM_INT);
    assert_int_equal(s.params[4].i, 0);
    segment_sql_release(&s);
}

static void test_errors_name_the_path(void **state)
{
    const char *three = "{\"all\": [{\"field\": \"spend\", \"op\": \"gte\", \"value\": 1},"
                        " {\"field\": \"class\", \"op\": \"eq\", \"value\": \"main\"},"
                        " {\"field\": \"spend\", \"op\": \"like\", \"value\": 1}]}";
    expect_error(three, "filter.all[2].op", "must be one of eq, ne, lt, lte, gt, gte, between, in");
    expect_error("{\"any\": [{\"not\": {\"field\": \"colour\", \"op\": \"eq\", \"value\": 1}}]}",
                 "filter.any[0].not.field", "must name a field");
    expect_error("{\"field\": \"class\", \"op\": \"eq\", \"value\": \"vip\"}", "filter.value", "class values");
    expect_error("{\"field\": \"rfm_f\", \"op\": \"eq\", \"value\": 6}", "filter.value", "from 1 to 5");
    expect_error("{\"field\": \"spend\", \"op\": \"gte\", \"value\": \"a lot\"}", "filter.value", "whole number");
    expect_error("{\"field\": \"last_purchase\", \"op\": \"after\", \"value\": \"yesterday\"}", "filter.value",
                 "RFC 3339");
    expect_error("{\"field\": \"spend\", \"op\": \"gte\"}", "filter.value", "is required");
    expect_error("{\"field\": \"spend\", \"op\": \"gte\", \"value\": 1, \"and\": 2}", "filter.and", "not a known key");
    expect_error("{\"all\": [{\"field\": \"class\", \"op\": \"in\", \"value\": [\"main\", \"vip\"]}]}",
                 "filter.all[0].value[1]", "class values");
    expect_error("{\"field\": \"spend\", \"op\": \"between\", \"value\": [1]}", "filter.value", "two values");
    expect_error("{\"field\": \"spend\", \"op\": \"in\", \"value\": []}", "filter.value", "1 to 100 values");
    expect_error("{\"any\": []}", "filter.any", "at least one");
    expect_error("{\"all\": {}}", "filter.all", "list of nodes");
    expect_error("{\"all\": [], \"any\": []}", "filter", "only");
    expect_error("[1]", "filter", "must be an object");
    expect_error("{\"field\": \"birthday\", \"op\": \"within_days\", \"value\": 400}", "filter.value", "0 to 366");
    expect_error("{\"field\": \"email\", \"op\": \"eq\", \"value\": \"a@b\"}", "filter.op", "must be one of exists");
    expect_error("{\"field\": \"attributes.\", \"op\": \"eq\", \"value\": 1}", "filter.field", "attribute");
    expect_error("{\"field\": \"attributes.a\\\"b\", \"op\": \"eq\", \"value\": 1}", "filter.field", "attribute");
    expect_error("{\"field\": \"attributes.a\", \"op\": \"eq\", \"value\": {\"x\": 1}}", "filter.value", "text");
}

static void test_limits_on_depth_and_size(void **state)
{
    char deep[512] = "";
    for (int i = 0; i < 9; i++)
        strncat(deep, "{\"not\": ", sizeof(deep) - strlen(deep) - 1);
    strncat(deep, "{\"field\": \"spend\", \"op\": \"gt\", \"value\": 0}", sizeof(deep) - strlen(deep) - 1);
    for (int i = 0; i < 9; i++)
        strncat(deep, "}", sizeof(deep) - strlen(deep) - 1);
    expect_error(deep, "filter.not.not.not.not.not.not.not.not", "nested too deep"); /* the ninth level */

    char big[8192] = "{\"any\": [";
    for (int i = 0; i < SEGMENT_FILTER_NODES_MAX; i++) {
        size_t len = strlen(big);
        snprintf(big + len, sizeof(big) - len, "%s{\"field\": \"spend\", \"op\": \"gt\", \"value\": %d}",
                 i ? ", " : "", i);
    }
    strncat(big, "]}", sizeof(big) - strlen(big) - 1);
    expect_error(big, "filter.any[63]", "too large");
}

static void test_birthday_window_inside_one_year(void **state)
{
    segment_md_range r[2];
    /* 2026-01-01T00:00Z is 1 January in Tehran (03:30) and 11 Dey 1404. */
    assert_int_equal(segment_birthday_ranges("gregorian", "Asia/Tehran", NOW_MS, 7, r), 1);
    assert_int_equal(r[0].from, 101);
    assert_int_equal(r[0].to, 108);
    assert_int_equal(segment_birthday_ranges("persian", "Asia/Tehran", NOW_MS, 7, r), 1);
    assert_int_equal(r[0].from, 1011);
    assert_int_equal(r[0].to, 1018);
}

static void test_birthday_window_over_new_year_splits(void **state)
{
    segment_md_range r[2];
    int64_t dec28 = NOW_MS - 4 * DAY_MS; /* 2025-12-28 */
    assert_int_equal(segment_birthday_ranges("gregorian", "UTC", dec28, 7, r), 2);
    assert_int_equal(r[0].from, 1228);
    assert_int_equal(r[0].to, 1231);
    assert_int_equal(r[1].from, 101);
    assert_int_equal(r[1].to, 104);
    /* The Persian year 1404 ends on 29 Esfand (20 March 2026): a window over Nowruz splits too. */
    int64_t mar18 = INT64_C(1773792000000); /* 2026-03-18T00:00:00Z = 27 Esfand 1404 */
    assert_int_equal(segment_birthday_ranges("persian", "UTC", mar18, 5, r), 2);
    assert_int_equal(r[0].from, 1227);
    assert_int_equal(r[0].to, 1231);
    assert_int_equal(r[1].from, 101);
    assert_int_equal(r[1].to, 103); /* 23 March is 3 Farvardin 1405 */
}

static void test_birthday_window_ending_on_a_short_month_covers_its_leap_day(void **state)
{
    segment_md_range r[2];
    int64_t feb27 = INT64_C(1772150400000); /* 2026-02-27T00:00:00Z, not a leap year */
    assert_int_equal(segment_birthday_ranges("gregorian", "UTC", feb27, 1, r), 1);
    assert_int_equal(r[0].from, 227);
    assert_int_equal(r[0].to, 231); /* 28 February is the last day: 29 February birthdays are today */
    assert_int_equal(segment_birthday_ranges("gregorian", "UTC", feb27, 0, r), 1);
    assert_int_equal(r[0].to, 227);
}

static void test_birthday_window_of_a_year_is_every_day(void **state)
{
    segment_md_range r[2];
    assert_int_equal(segment_birthday_ranges("gregorian", "UTC", NOW_MS + 5 * DAY_MS, 366, r), 1);
    assert_int_equal(r[0].from, 101);
    assert_int_equal(r[0].to, 1231);
}

static void test_birthday_condition_covers_both_calendars(void **state)
{
    segment_sql s;
    errlist e;
    assert_int_equal(compile("{\"field\": \"birthday\", \"op\": \"within_days\", \"value\": 3}", &s, &e), 0);
    assert_string_equal(s.where, "((birthday_calendar = ? AND (" MEMBER_BIRTHDAY_MD_SQL " BETWEEN ? AND ?)) OR "
                                 "(birthday_calendar = ? AND (" MEMBER_BIRTHDAY_MD_SQL " BETWEEN ? AND ?)))");
    assert_string_equal(s.params[0].text, "gregorian");
    assert_int_equal(s.params[1].i, 101);
    assert_int_equal(s.params[2].i, 104);
    assert_string_equal(s.params[3].text, "persian");
    assert_int_equal(s.params[4].i, 1011);
    assert_int_equal(s.params[5].i, 1014);
    segment_sql_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_conditions_compile_to_bound_sql),
        cmocka_unit_test(test_user_text_never_becomes_sql),
        cmocka_unit_test(test_not_treats_missing_values_as_false),
        cmocka_unit_test(test_each_field_type_compiles),
        cmocka_unit_test(test_attribute_values_keep_their_json_type),
        cmocka_unit_test(test_errors_name_the_path),
        cmocka_unit_test(test_limits_on_depth_and_size),
        cmocka_unit_test(test_birthday_window_inside_one_year),
        cmocka_unit_test(test_birthday_window_over_new_year_splits),
        cmocka_unit_test(test_birthday_window_ending_on_a_short_month_covers_its_leap_day),
        cmocka_unit_test(test_birthday_window_of_a_year_is_every_day),
        cmocka_unit_test(test_birthday_condition_covers_both_calendars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
