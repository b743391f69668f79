/*
 * test_email.c: unit tests for src/core/email.c (e-mail address normalisation and checks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/email.h"

#define ASSERT_EMAIL(in, want)                                                                     \
    do {                                                                                           \
        char out_[EMAIL_SIZE];                                                                     \
        const char *why_ = NULL;                                                                   \
        if (email_normalize((in), strlen(in), out_, sizeof out_, &why_) != 0) {                    \
            fail_msg("\"%s\": %s", (in), why_);                                                    \
        }                                                                                          \
        assert_string_equal(out_, (want));                                                         \
    } while (0)

#define ASSERT_NOT_EMAIL(in, want_why)                                                             \
    do {                                                                                           \
        char out_[EMAIL_SIZE];                                                                     \
        const char *why_ = NULL;                                                                   \
        if (email_normalize((in), strlen(in), out_, sizeof out_, &why_) != -1) {                   \
            fail_msg("\"%s\" was accepted as \"%s\"", (in), out_);                                 \
        }                                                                                          \
        assert_string_equal(why_, (want_why));                                                     \
        assert_string_equal(out_, "");                                                             \
    } while (0)

#define BAD_CHAR "contains a character not allowed in an e-mail address"
#define BAD_DOMAIN_CHAR "contains a character not allowed in a domain"

static void test_email_is_trimmed_and_lowercased(void **state)
{
    (void)state;
    ASSERT_EMAIL("  Ali.Rezaei@Example.COM \n", "ali.rezaei@example.com");
    ASSERT_EMAIL("\xC2\xA0x@y.ir\xE2\x80\x83", "x@y.ir");
}

static void test_plus_tags_apostrophes_and_digits_are_accepted(void **state)
{
    (void)state;
    ASSERT_EMAIL("ali+club@gmail.com", "ali+club@gmail.com");
    ASSERT_EMAIL("o'brien@example.ie", "o'brien@example.ie");
    ASSERT_EMAIL("a_b-c.d@mail-1.example.co.uk", "a_b-c.d@mail-1.example.co.uk");
    ASSERT_EMAIL("1@2.ir", "1@2.ir");
}

static void test_internationalised_domains_are_accepted_and_only_ascii_is_lowercased(void **state)
{
    (void)state;
    ASSERT_EMAIL("info@مثال.ایران", "info@مثال.ایران");
    ASSERT_EMAIL("Kunde@Müller.DE", "kunde@müller.de");
    ASSERT_EMAIL("user@xn--mller-kva.de", "user@xn--mller-kva.de");
    ASSERT_EMAIL("user@\xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xB1\xD9\x88\xD9\x85.ir", /* with a ZWNJ */
                 "user@\xD9\x85\xDB\x8C\xE2\x80\x8C\xD8\xB1\xD9\x88\xD9\x85.ir");
}

static void test_exactly_one_at_is_required(void **state)
{
    (void)state;
    ASSERT_NOT_EMAIL("ali.example.com", "must contain exactly one @");
    ASSERT_NOT_EMAIL("a@b@example.com", "must contain exactly one @");
    ASSERT_NOT_EMAIL("", "is empty");
    ASSERT_NOT_EMAIL("   ", "is empty");
}

static void test_local_part_must_be_present_and_at_most_64_bytes(void **state)
{
    (void)state;
    ASSERT_NOT_EMAIL("@example.com", "needs a name before the @");
    char addr[128];
    memset(addr, 'a', 64);
    memcpy(addr + 64, "@x.io", 6);
    char want[128];
    memcpy(want, addr, sizeof want);
    ASSERT_EMAIL(addr, want);
    memset(addr, 'a', 65);
    memcpy(addr + 65, "@x.io", 6);
    ASSERT_NOT_EMAIL(addr, "has a name before the @ longer than 64 characters");
}

static void test_local_part_dots_must_separate_words(void **state)
{
    (void)state;
    ASSERT_NOT_EMAIL(".ali@example.com", "cannot start or end with a dot before the @");
    ASSERT_NOT_EMAIL("ali.@example.com", "cannot start or end with a dot before the @");
    ASSERT_NOT_EMAIL("ali..reza@example.com", "cannot contain two dots in a row");
}

static void test_domain_needs_a_dot(void **state)
{
    (void)state;
    ASSERT_NOT_EMAIL("ali@localhost", "needs a domain with a dot, such as example.com");
    ASSERT_NOT_EMAIL("ali@", "needs a domain after the @");
}

static void test_domain_labels_are_letters_digits_and_inner_hyphens(void **state)
{
    (void)state;
    ASSERT_NOT_EMAIL("a@-x.com", "has a domain part that starts or ends with a hyphen");
    ASSERT_NOT_EMAIL("a@x-.com", "has a domain part that starts or ends with a hyphen");
    ASSERT_NOT_EMAIL("a@x..com", "has an empty part in the domain");
    ASSERT_NOT_EMAIL("a@.x.com", "has an empty part in the domain");
    ASSERT_NOT_EMAIL("a@x.com.", "has an empty part in the domain");
    ASSERT_NOT_EMAIL("a@ex_ample.com", BAD_DOMAIN_CHAR);
    ASSERT_NOT_EMAIL("a@[127.0.0.1]", BAD_DOMAIN_CHAR);
    ASSERT_NOT_EMAIL("a@x.c😀m", BAD_DOMAIN_CHAR);
    char addr[128];
    memcpy(addr, "a@", 2);
    memset(addr + 2, 'b', 64);
    memcpy(addr + 66, ".com", 5);
    ASSERT_NOT_EMAIL(addr, "has a domain part longer than 63 characters");
}

static void test_spaces_quotes_and_controls_are_refused(void **state)
{
    (void)state;
    ASSERT_NOT_EMAIL("ali reza@example.com", BAD_CHAR);
    ASSERT_NOT_EMAIL("\"ali\"@example.com", BAD_CHAR);
    ASSERT_NOT_EMAIL("ali\x01@example.com", BAD_CHAR);
    ASSERT_NOT_EMAIL("ali\xC2\xA0reza@example.com", BAD_CHAR);
    ASSERT_NOT_EMAIL("<ali@example.com>", BAD_CHAR);
    ASSERT_NOT_EMAIL("ali,reza@example.com", BAD_CHAR);
    ASSERT_NOT_EMAIL("ali@exa mple.com", BAD_DOMAIN_CHAR);
    ASSERT_NOT_EMAIL("ali@example.com\xC0\xAF", BAD_CHAR);
    char out[EMAIL_SIZE];
    assert_int_equal(email_normalize("a\0@x.io", 7, out, sizeof out, NULL), -1);
}

static void test_address_longer_than_254_bytes_is_refused(void **state)
{
    (void)state;
    /* 64 + 1 + (4 x 46 + 3 dots + 3 + ".com") stays legal per part but passes 254 in all. */
    char addr[400];
    size_t n = 0;
    memset(addr, 'a', 64);
    n = 64;
    addr[n++] = '@';
    for (int i = 0; i < 4; i++) {
        memset(addr + n, 'd', 46);
        n += 46;
        addr[n++] = '.';
    }
    memcpy(addr + n, "example.com", 12);
    n += 11;
    assert_true(n > 254);
    ASSERT_NOT_EMAIL(addr, "is longer than 254 characters");
}

static void test_small_buffer_and_null_input_fail_cleanly(void **state)
{
    (void)state;
    char out[8];
    const char *why = NULL;
    assert_int_equal(email_normalize("ali@example.com", 15, out, sizeof out, &why), -1);
    assert_non_null(why);
    assert_string_equal(out, "");
    assert_int_equal(email_normalize(NULL, 0, out, sizeof out, NULL), -1);
    assert_int_equal(email_normalize("a@b.io", 6, out, sizeof out, NULL), 0);
    assert_string_equal(out, "a@b.io");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_is_trimmed_and_lowercased),
        cmocka_unit_test(test_plus_tags_apostrophes_and_digits_are_accepted),
        cmocka_unit_test(test_internationalised_domains_are_accepted_and_only_ascii_is_lowercased),
        cmocka_unit_test(test_exactly_one_at_is_required),
        cmocka_unit_test(test_local_part_must_be_present_and_at_most_64_bytes),
        cmocka_unit_test(test_local_part_dots_must_separate_words),
        cmocka_unit_test(test_domain_needs_a_dot),
        cmocka_unit_test(test_domain_labels_are_letters_digits_and_inner_hyphens),
        cmocka_unit_test(test_spaces_quotes_and_controls_are_refused),
        cmocka_unit_test(test_address_longer_than_254_bytes_is_refused),
        cmocka_unit_test(test_small_buffer_and_null_input_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
