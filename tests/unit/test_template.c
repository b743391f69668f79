/*
 * test_template.c: unit tests for src/core/template.c (checking names the field of unknown variables and stray
 * braces; rendering fills values, HTML-escaped in HTML; numbers in English and Persian).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/template.h"

static int errors(const char *text)
{
    errlist e;
    errlist_init(&e);
    int n = template_check(text, "body.en", &e);
    assert_int_equal(n, e.count);
    if (n)
        assert_string_equal(e.items[0].field, "body.en");
    return n;
}

static void test_check_accepts_known_variables_and_doubled_braces(void **state)
{
    (void)state;
    assert_int_equal(errors("Hello {given_name}, you have {points} points at {tier}."), 0);
    assert_int_equal(errors("JSON looks like {{\"a\": 1}} here"), 0);
    assert_int_equal(errors("no variables at all"), 0);
}

static void test_check_names_unknown_variables_and_stray_braces(void **state)
{
    (void)state;
    assert_int_equal(errors("Hi {name}"), 1);
    assert_int_equal(errors("Hi {given_name"), 1);
    assert_int_equal(errors("Hi given_name}"), 1);
    assert_int_equal(errors("{} and {Given_Name} and {x y}"), 3);
}

static void test_render_fills_and_escapes_html_only_in_html(void **state)
{
    (void)state;
    template_var vars[] = {{"given_name", "<Ali & \"Sara\">"}, {"points", "1,200"}};
    char *html = template_render("<p>Hi {given_name}: {points} {{pts}}</p>", vars, 2, true);
    assert_string_equal(html, "<p>Hi &lt;Ali &amp; &quot;Sara&quot;&gt;: 1,200 {pts}</p>");
    char *text = template_render("Hi {given_name}: {points}", vars, 2, false);
    assert_string_equal(text, "Hi <Ali & \"Sara\">: 1,200");
    char *missing = template_render("[{tier}]", vars, 2, false);
    assert_string_equal(missing, "[]");
    free(html);
    free(text);
    free(missing);
}

static void test_numbers_for_the_locale(void **state)
{
    (void)state;
    char out[64];
    template_number(1234567, "en", out, sizeof(out));
    assert_string_equal(out, "1,234,567");
    template_number(1234567, "fa", out, sizeof(out));
    assert_string_equal(out, "۱٬۲۳۴٬۵۶۷");
    template_number(0, "fa", out, sizeof(out));
    assert_string_equal(out, "۰");
    template_number(-950, "en", out, sizeof(out));
    assert_string_equal(out, "-950");
    template_number(INT64_MIN, "en", out, sizeof(out));
    assert_string_equal(out, "-9,223,372,036,854,775,808");
    template_number(123456, "fa", out, 8); /* too small: whole characters only */
    assert_true(strlen(out) < 8);
}

/* 2026-11-25 is 4 Azar 1405 (Nowruz 1405 fell on 21 March 2026); Tehran is UTC+03:30, so 21:00 UTC is already
 * the next day there. */
static void test_dates_in_the_persian_calendar_for_fa_and_the_local_day(void **state)
{
    (void)state;
    char out[96];
    const int64_t noon = 1795608000000LL;   /* 2026-11-25T12:00:00Z */
    const int64_t late = 1795640400000LL;   /* 2026-11-25T21:00:00Z */
    template_date(noon, "Asia/Tehran", "fa", out, sizeof(out));
    assert_string_equal(out, "۴ آذر ۱۴۰۵");
    template_date(late, "Asia/Tehran", "fa", out, sizeof(out));
    assert_string_equal(out, "۵ آذر ۱۴۰۵");
    template_date(noon, "Asia/Tehran", "en", out, sizeof(out));
    assert_string_equal(out, "25 November 2026");
    template_date(late, "UTC", "en", out, sizeof(out));
    assert_string_equal(out, "25 November 2026");
    template_date(1742515200000LL, "Asia/Tehran", "fa", out, sizeof(out)); /* 2025-03-21T00:00Z: Nowruz 1404 */
    assert_string_equal(out, "۱ فروردین ۱۴۰۴");
    template_date(noon, "Not/AZone", "en", out, sizeof(out)); /* read as UTC */
    assert_string_equal(out, "25 November 2026");
}

static void test_date_is_a_known_variable(void **state)
{
    (void)state;
    errlist e;
    errlist_init(&e);
    assert_int_equal(template_check("Today is {date}", "body.en", &e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_accepts_known_variables_and_doubled_braces),
        cmocka_unit_test(test_check_names_unknown_variables_and_stray_braces),
        cmocka_unit_test(test_render_fills_and_escapes_html_only_in_html),
        cmocka_unit_test(test_numbers_for_the_locale),
        cmocka_unit_test(test_dates_in_the_persian_calendar_for_fa_and_the_local_day),
        cmocka_unit_test(test_date_is_a_known_variable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
