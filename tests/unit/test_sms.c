/*
 * test_sms.c: unit tests for src/core/sms.c (SMS segments: GSM-7 160/153 with two-septet extension characters
 * never split, UCS-2 70/67 for Persian with surrogate pairs never split).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/sms.h"

/* text made of n copies of unit (a UTF-8 string), then tail */
static const char *repeat(const char *unit, int n, const char *tail)
{
    static char buf[8192];
    size_t len = 0, ul = strlen(unit);
    for (int i = 0; i < n; i++) {
        memcpy(buf + len, unit, ul);
        len += ul;
    }
    memcpy(buf + len, tail, strlen(tail) + 1);
    return buf;
}

static void check(const char *text, int ucs2, int units, int segments)
{
    sms_count c = {0};
    assert_int_equal(sms_count_text(text, &c), 0);
    assert_int_equal(c.ucs2, ucs2);
    assert_int_equal(c.units, units);
    assert_int_equal(c.segments, segments);
}

static void test_gsm_text_fits_160_then_153_a_part(void **state)
{
    (void)state;
    check("", 0, 0, 0);
    check("Hello @ club!", 0, 13, 1);
    check(repeat("a", 160, ""), 0, 160, 1);
    check(repeat("a", 161, ""), 0, 161, 2);
    check(repeat("a", 306, ""), 0, 306, 2);
    check(repeat("a", 307, ""), 0, 307, 3);
}

static void test_extension_characters_cost_two_and_are_never_split(void **state)
{
    (void)state;
    check("{€}", 0, 6, 1);
    check(repeat("a", 159, "€"), 0, 161, 2);
    check(repeat("a", 152, "{"), 0, 154, 1);
    /* 306 septets would fit two parts, but the escape pair cannot straddle the first boundary */
    char text[400];
    memcpy(text, repeat("a", 152, "{"), 153);
    memcpy(text + 153, repeat("a", 152, ""), 153);
    check(text, 0, 306, 3);
}

static void test_persian_goes_as_ucs2_70_then_67_a_part(void **state)
{
    (void)state;
    check("سلام", 1, 4, 1);
    check("کد ورود: ۱۲۳۴۵۶", 1, 15, 1);
    check(repeat("ب", 70, ""), 1, 70, 1);
    check(repeat("ب", 71, ""), 1, 71, 2);
    check(repeat("ب", 134, ""), 1, 134, 2);
    check(repeat("ب", 135, ""), 1, 135, 3);
    /* one character outside GSM-7 turns the whole text into UCS-2 */
    check(repeat("a", 100, "ç"), 1, 101, 2);
}

static void test_surrogate_pairs_count_two_and_are_never_split(void **state)
{
    (void)state;
    check("😀", 1, 2, 1);
    check(repeat("a", 66, "😀"), 1, 68, 1);
    /* 68 + 66 = 134 units would fit two parts of 67, but the pair cannot straddle the boundary */
    char text[400];
    memcpy(text, repeat("a", 66, "😀"), 66 + 4);
    memcpy(text + 70, repeat("a", 66, ""), 67);
    check(text, 1, 134, 3);
}

static void test_invalid_utf8_is_refused(void **state)
{
    (void)state;
    sms_count c;
    assert_int_equal(sms_count_text("abc\xff", &c), -1);
    assert_int_equal(sms_count_text("\xc0\x80", &c), -1);    /* overlong */
    assert_int_equal(sms_count_text("\xed\xa0\x80", &c), -1); /* a lone surrogate */
    assert_int_equal(sms_count_text("\xd8", &c), -1);         /* cut short */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gsm_text_fits_160_then_153_a_part),
        cmocka_unit_test(test_extension_characters_cost_two_and_are_never_split),
        cmocka_unit_test(test_persian_goes_as_ucs2_70_then_67_a_part),
        cmocka_unit_test(test_surrogate_pairs_count_two_and_are_never_split),
        cmocka_unit_test(test_invalid_utf8_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
