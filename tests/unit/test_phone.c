/*
 * test_phone.c: unit tests for src/core/phone.cc (input to E.164 through libphonenumber).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/phone.h"

#define ASSERT_PHONE(in, region, want)                                                             \
    do {                                                                                           \
        char out_[PHONE_E164_SIZE];                                                                \
        const char *why_ = NULL;                                                                   \
        int rc_ = phone_normalize((in), (region), out_, sizeof out_, &why_);                       \
        if (rc_ != 0) {                                                                            \
            fail_msg("%s (%s): %s", (in), (region) ? (region) : "no region", why_);               \
        }                                                                                          \
        assert_string_equal(out_, (want));                                                         \
    } while (0)

#define ASSERT_NOT_PHONE(in, region, want_why)                                                     \
    do {                                                                                           \
        char out_[PHONE_E164_SIZE];                                                                \
        const char *why_ = NULL;                                                                   \
        assert_int_equal(phone_normalize((in), (region), out_, sizeof out_, &why_), -1);           \
        assert_string_equal(why_, (want_why));                                                     \
        assert_string_equal(out_, "");                                                             \
    } while (0)

static void test_persian_digit_phone_with_region_ir_becomes_e164(void **state)
{
    (void)state;
    ASSERT_PHONE("۰۹۱۲۱۲۳۴۵۶۷", "IR", "+989121234567");
}

static void test_arabic_indic_digit_phone_becomes_e164(void **state)
{
    (void)state;
    ASSERT_PHONE("٠٩١٢ ١٢٣ ٤٥٦٧", "IR", "+989121234567");
}

static void test_us_number_with_punctuation_becomes_e164(void **state)
{
    (void)state;
    ASSERT_PHONE("+1 (555) 555-0123", "IR", "+15555550123");
    ASSERT_PHONE("(555) 555-0123", "US", "+15555550123");
}

static void test_fictional_number_is_possible_so_it_is_accepted(void **state)
{
    (void)state;
    ASSERT_PHONE("+15555550123", NULL, "+15555550123");
}

static void test_double_zero_prefix_reads_as_plus(void **state)
{
    (void)state;
    ASSERT_PHONE("00989121234567", "IR", "+989121234567");
    /* Even where the international prefix is not 00 (011 in the US). */
    ASSERT_PHONE("00989121234567", "US", "+989121234567");
    ASSERT_PHONE("00 98 912 123 4567", NULL, "+989121234567");
}

static void test_national_number_accepts_spaces_dashes_dots_and_unicode_spaces(void **state)
{
    (void)state;
    ASSERT_PHONE("0912-123.45 67", "IR", "+989121234567");
    ASSERT_PHONE("\xC2\xA0 (0912) 123 4567 \t", "IR", "+989121234567");
    ASSERT_PHONE("021 8888 1234", "IR", "+982188881234");
    ASSERT_PHONE("030 12345678", "DE", "+493012345678");
}

static void test_bidi_marks_copied_from_persian_text_are_ignored(void **state)
{
    (void)state;
    /* U+200E LEFT-TO-RIGHT MARK and U+2066/U+2069 isolates around a number in Persian text. */
    ASSERT_PHONE("\xE2\x80\x8E+98 912 123 4567\xE2\x80\x8E", "IR", "+989121234567");
    ASSERT_PHONE("\xE2\x81\xA6۰۹۱۲ ۱۲۳ ۴۵۶۷\xE2\x81\xA9", "IR", "+989121234567");
}

static void test_trunk_zero_after_the_country_code_is_dropped(void **state)
{
    (void)state;
    ASSERT_PHONE("+98 0912 123 4567", "IR", "+989121234567");
}

static void test_region_is_read_in_either_case(void **state)
{
    (void)state;
    ASSERT_PHONE("09121234567", "ir", "+989121234567");
}

static void test_country_code_without_plus_in_home_region_is_understood(void **state)
{
    (void)state;
    ASSERT_PHONE("989121234567", "IR", "+989121234567");
}

static void test_garbage_is_not_a_phone_number(void **state)
{
    (void)state;
    const char *bad[] = {"",   "   ", "+",      "hello",   "12ab34", "1-800-FLOWERS", "++989121234567",
                         "0912 123 4567 ext 5", "0912#1234567", "+98+9121234567", "0912/1234567",
                         "\xC0\xAF"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ASSERT_NOT_PHONE(bad[i], "IR", "is not a phone number");
    }
}

static void test_short_and_long_numbers_say_so(void **state)
{
    (void)state;
    ASSERT_NOT_PHONE("+98912", "IR", "is too short");
    ASSERT_NOT_PHONE("+1 555 555 0123 4567", "IR", "is too long");
    ASSERT_NOT_PHONE("+98 912 123 4567 8901 2345", NULL, "is too long");
    char huge[300];
    memset(huge, '1', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    ASSERT_NOT_PHONE(huge, "IR", "is too long");
}

static void test_wrong_length_for_the_country_is_refused(void **state)
{
    (void)state;
    ASSERT_NOT_PHONE("+98912123456", "IR", "has the wrong number of digits for its country");
}

static void test_local_number_without_area_code_is_refused(void **state)
{
    (void)state;
    /* Dialable inside Tehran only; "+9888881234" would be some other number. */
    ASSERT_NOT_PHONE("8888 1234", "IR", "is missing the area code");
}

static void test_national_number_needs_a_region(void **state)
{
    (void)state;
    ASSERT_NOT_PHONE("09121234567", NULL, "needs a country code such as +98");
    ASSERT_NOT_PHONE("09121234567", "", "needs a country code such as +98");
    ASSERT_NOT_PHONE("09121234567", "XX", "needs a country code such as +98");
    /* An international number does not need one. */
    ASSERT_PHONE("+98 912 123 4567", "XX", "+989121234567");
}

static void test_unknown_country_code_is_refused(void **state)
{
    (void)state;
    ASSERT_NOT_PHONE("+999 123 4567", "IR", "has an unknown country code");
}

static void test_small_output_buffer_fails_cleanly(void **state)
{
    (void)state;
    char out[13];
    const char *why = NULL;
    assert_int_equal(phone_normalize("+989121234567", NULL, out, sizeof out, &why), -1);
    assert_non_null(why);
    assert_int_equal(phone_normalize("+989121234567", NULL, out, 0, NULL), -1);
    char fits[14];
    assert_int_equal(phone_normalize("+989121234567", NULL, fits, sizeof fits, NULL), 0);
    assert_string_equal(fits, "+989121234567");
}

static void test_null_input_and_null_why_are_safe(void **state)
{
    (void)state;
    char out[PHONE_E164_SIZE];
    assert_int_equal(phone_normalize(NULL, "IR", out, sizeof out, NULL), -1);
    assert_int_equal(phone_normalize("garbage", "IR", out, sizeof out, NULL), -1);
}

static void test_region_valid_knows_iso_codes_with_metadata(void **state)
{
    (void)state;
    assert_true(phone_region_valid("IR"));
    assert_true(phone_region_valid("ir"));
    assert_true(phone_region_valid("US"));
    assert_true(phone_region_valid("DE"));
    assert_false(phone_region_valid(NULL));
    assert_false(phone_region_valid(""));
    assert_false(phone_region_valid("I"));
    assert_false(phone_region_valid("IRN"));
    assert_false(phone_region_valid("ZZ"));
    assert_false(phone_region_valid("XX"));
    assert_false(phone_region_valid("001"));
    assert_false(phone_region_valid("I1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_persian_digit_phone_with_region_ir_becomes_e164),
        cmocka_unit_test(test_arabic_indic_digit_phone_becomes_e164),
        cmocka_unit_test(test_us_number_with_punctuation_becomes_e164),
        cmocka_unit_test(test_fictional_number_is_possible_so_it_is_accepted),
        cmocka_unit_test(test_double_zero_prefix_reads_as_plus),
        cmocka_unit_test(test_national_number_accepts_spaces_dashes_dots_and_unicode_spaces),
        cmocka_unit_test(test_bidi_marks_copied_from_persian_text_are_ignored),
        cmocka_unit_test(test_trunk_zero_after_the_country_code_is_dropped),
        cmocka_unit_test(test_region_is_read_in_either_case),
        cmocka_unit_test(test_country_code_without_plus_in_home_region_is_understood),
        cmocka_unit_test(test_garbage_is_not_a_phone_number),
        cmocka_unit_test(test_short_and_long_numbers_say_so),
        cmocka_unit_test(test_wrong_length_for_the_country_is_refused),
        cmocka_unit_test(test_local_number_without_area_code_is_refused),
        cmocka_unit_test(test_national_number_needs_a_region),
        cmocka_unit_test(test_unknown_country_code_is_refused),
        cmocka_unit_test(test_small_output_buffer_fails_cleanly),
        cmocka_unit_test(test_null_input_and_null_why_are_safe),
        cmocka_unit_test(test_region_valid_knows_iso_codes_with_metadata),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
