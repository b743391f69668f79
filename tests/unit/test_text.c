/*
 * test_text.c: unit tests for src/core/text.c (UTF-8 validation, digit folding, Persian
 * normalisation, search keys).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/uchar.h>

#include "core/text.h"

/* Runs fn on a NUL-terminated input and checks both the result and the returned length. */
#define ASSERT_MAPS(fn, in, want)                                                                  \
    do {                                                                                           \
        char out_[256];                                                                            \
        int n_ = fn((in), strlen(in), out_, sizeof out_);                                          \
        assert_int_equal(n_, (int)strlen(want));                                                   \
        assert_string_equal(out_, (want));                                                         \
    } while (0)

static void test_valid_utf8_accepts_ascii_persian_and_tabs(void **state)
{
    (void)state;
    const char *ok[] = {"", "hello", "سلام دنیا", "line\tone\r\nline two", "emoji \xF0\x9F\x98\x80",
                        "\xC2\xA0"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_true(text_valid_utf8(ok[i], strlen(ok[i])));
    }
}

static void test_valid_utf8_rejects_ill_formed_sequences(void **state)
{
    (void)state;
    const char *bad[] = {
        "\xC0\xAF",         /* overlong "/" */
        "\xE2\x82",         /* truncated euro sign */
        "\xED\xA0\x80",     /* UTF-16 surrogate */
        "\xF4\x90\x80\x80", /* beyond U+10FFFF */
        "\x80",             /* lone continuation byte */
        "abc\xFF",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(text_valid_utf8(bad[i], strlen(bad[i])));
    }
}

static void test_valid_utf8_rejects_nul_and_control_characters(void **state)
{
    (void)state;
    assert_false(text_valid_utf8("a\0b", 3));
    assert_false(text_valid_utf8("a\x01", 2));
    assert_false(text_valid_utf8("\x1b[31m", 5));
    assert_false(text_valid_utf8("bell\a", 5));
    assert_true(text_valid_utf8("a\0b", 1)); /* only len bytes are read */
}

static void test_copy_cuts_to_fit_and_terminates(void **state)
{
    (void)state;
    char out[4] = "xyz";
    text_copy(out, sizeof out, "ab");
    assert_string_equal(out, "ab");
    text_copy(out, sizeof out, "abcdef");
    assert_string_equal(out, "abc");
    text_copy(out, sizeof out, NULL);
    assert_string_equal(out, "");
}

static void test_persian_digits_become_ascii(void **state)
{
    (void)state;
    ASSERT_MAPS(text_digits_to_ascii, "۰۱۲۳۴۵۶۷۸۹", "0123456789");
}

static void test_arabic_indic_and_other_script_digits_become_ascii(void **state)
{
    (void)state;
    ASSERT_MAPS(text_digits_to_ascii, "٠١٢٣٤٥٦٧٨٩", "0123456789");
    ASSERT_MAPS(text_digits_to_ascii, "०१२३", "0123");          /* Devanagari */
    ASSERT_MAPS(text_digits_to_ascii, "\xEF\xBC\x91\xEF\xBC\x92", "12"); /* fullwidth */
}

static void test_digits_to_ascii_copies_everything_else(void **state)
{
    (void)state;
    ASSERT_MAPS(text_digits_to_ascii, "تلفن: ۰۹۱۲-۱۲۳ (x)", "تلفن: 0912-123 (x)");
    ASSERT_MAPS(text_digits_to_ascii, "", "");
    /* Superscript two is a digit character but not a decimal digit (Nd): kept as is. */
    ASSERT_MAPS(text_digits_to_ascii, "m\xC2\xB2", "m\xC2\xB2");
}

static void test_digits_to_ascii_refuses_invalid_utf8(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(text_digits_to_ascii("12\xC0\xAF", 4, out, sizeof out), -1);
}

static void test_digits_to_ascii_needs_room_for_the_nul(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(text_digits_to_ascii("abcd", 4, out, 4), -1);
    assert_int_equal(text_digits_to_ascii("abcd", 4, out, 5), 4);
    assert_string_equal(out, "abcd");
    assert_int_equal(text_digits_to_ascii("x", 1, out, 0), -1);
    /* Three Persian digits (6 bytes) shrink to 3 bytes, so 4 bytes of room suffice. */
    assert_int_equal(text_digits_to_ascii("۱۲۳", strlen("۱۲۳"), out, 4), 3);
    assert_string_equal(out, "123");
}

static void test_normalize_maps_arabic_yeh_and_kaf_to_persian(void **state)
{
    (void)state;
    ASSERT_MAPS(text_normalize_persian, "علي", "علی");
    ASSERT_MAPS(text_normalize_persian, "موسى", "موسی");
    ASSERT_MAPS(text_normalize_persian, "كريم", "کریم");
    ASSERT_MAPS(text_normalize_persian, "پلاک ۱۲", "پلاک 12");
}

static void test_normalize_trims_and_collapses_unicode_whitespace(void **state)
{
    (void)state;
    ASSERT_MAPS(text_normalize_persian, "\xC2\xA0 علی \t\n  رضایی\xE2\x80\x83", "علی رضایی");
    ASSERT_MAPS(text_normalize_persian, "  a   b  ", "a b");
    ASSERT_MAPS(text_normalize_persian, " \t\r\n\xC2\xA0 ", "");
}

/* The one-byte paths (printable ASCII is not decoded, ASCII white space is not looked up) agree with ICU's answer
 * for each of the 128 ASCII characters, between two letters. */
static void test_ascii_characters_are_judged_as_icu_judges_them(void **state)
{
    (void)state;
    for (int c = 1; c < 0x80; c++) {
        char in[3] = {'a', (char)c, 'b'}, out[8];
        bool control = c < 0x20 && c != '\t' && c != '\n' && c != '\r';
        assert_int_equal(text_valid_utf8(in, 3), !control);
        char want[4] = {'a', (char)c, 'b', 0};
        if (u_isUWhiteSpace(c))
            want[1] = ' '; /* one space between the letters, whatever the space was */
        assert_int_equal(text_normalize_persian(in, 3, out, sizeof out), 3);
        assert_string_equal(out, want);
    }
}

static void test_normalize_keeps_zwnj(void **state)
{
    (void)state;
    ASSERT_MAPS(text_normalize_persian, "می\xE2\x80\x8Cروم", "می\xE2\x80\x8Cروم");
}

static void test_normalize_refuses_invalid_utf8_and_small_buffers(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(text_normalize_persian("a\xE2\x82", 3, out, sizeof out), -1);
    assert_int_equal(text_normalize_persian("abcdefgh", 8, out, sizeof out), -1);
    assert_string_equal(out, "");
    assert_int_equal(text_normalize_persian("abcdefg", 7, out, sizeof out), 7);
}

static void test_fold_lowercases_ascii_and_other_scripts(void **state)
{
    (void)state;
    ASSERT_MAPS(text_fold_for_search, "  ALI   Rezaei ", "ali rezaei");
    ASSERT_MAPS(text_fold_for_search, "ÀÉÎ Straße", "àéî straße");
    ASSERT_MAPS(text_fold_for_search, "ΑΘΗΝΑ", "αθηνα");
}

static void test_fold_matches_arabic_and_persian_spellings(void **state)
{
    (void)state;
    char a[64];
    char b[64];
    assert_true(text_fold_for_search("علي  كريمي", strlen("علي  كريمي"), a, sizeof a) > 0);
    assert_true(text_fold_for_search("علی کریمی", strlen("علی کریمی"), b, sizeof b) > 0);
    assert_string_equal(a, b);
}

static void test_fold_reports_when_lowercasing_outgrows_the_buffer(void **state)
{
    (void)state;
    /* U+0130 (2 bytes) lowercases in the root locale to "i" + U+0307 (3 bytes). */
    char out[4];
    assert_int_equal(text_fold_for_search("\xC4\xB0", 2, out, 3), -1);
    assert_int_equal(text_fold_for_search("\xC4\xB0", 2, out, 4), 3);
    assert_string_equal(out, "i\xCC\x87");
}

static void test_fold_handles_text_longer_than_its_stack_copy(void **state)
{
    (void)state;
    char in[1024];
    char want[1024];
    size_t n = 0;
    for (int i = 0; i < 200; i++) { /* 200 x "É" (2 bytes) = 400 bytes */
        memcpy(in + n, "\xC3\x89", 2);
        memcpy(want + n, "\xC3\xA9", 2);
        n += 2;
    }
    in[n] = want[n] = '\0';
    char out[1024];
    assert_int_equal(text_fold_for_search(in, n, out, sizeof out), (int)n);
    assert_string_equal(out, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_utf8_accepts_ascii_persian_and_tabs),
        cmocka_unit_test(test_valid_utf8_rejects_ill_formed_sequences),
        cmocka_unit_test(test_valid_utf8_rejects_nul_and_control_characters),
        cmocka_unit_test(test_copy_cuts_to_fit_and_terminates),
        cmocka_unit_test(test_persian_digits_become_ascii),
        cmocka_unit_test(test_arabic_indic_and_other_script_digits_become_ascii),
        cmocka_unit_test(test_digits_to_ascii_copies_everything_else),
        cmocka_unit_test(test_digits_to_ascii_refuses_invalid_utf8),
        cmocka_unit_test(test_digits_to_ascii_needs_room_for_the_nul),
        cmocka_unit_test(test_normalize_maps_arabic_yeh_and_kaf_to_persian),
        cmocka_unit_test(test_normalize_trims_and_collapses_unicode_whitespace),
        cmocka_unit_test(test_ascii_characters_are_judged_as_icu_judges_them),
        cmocka_unit_test(test_normalize_keeps_zwnj),
        cmocka_unit_test(test_normalize_refuses_invalid_utf8_and_small_buffers),
        cmocka_unit_test(test_fold_lowercases_ascii_and_other_scripts),
        cmocka_unit_test(test_fold_matches_arabic_and_persian_spellings),
        cmocka_unit_test(test_fold_reports_when_lowercasing_outgrows_the_buffer),
        cmocka_unit_test(test_fold_handles_text_longer_than_its_stack_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
