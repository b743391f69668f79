/*
 * test_jsonbuf.c: unit tests for src/core/jsonbuf.c (JSON text written straight into a buffer): what it writes
 * parses back (with jansson) to the same values, strings with quotes, backslashes and control characters
 * included, and integers to both ends of int64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/jsonbuf.h"

static void test_strings_are_escaped_and_parse_back(void **state)
{
    (void)state;
    static const char *const samples[] = {"", "plain", "quote \" and \\ backslash", "tab\tnew\nline\r\b\f",
                                          "\x01\x1f control", "فروشگاه ۱ / store", NULL};
    for (int i = 0; samples[i]; i++) {
        jsonbuf b;
        jsonbuf_init(&b);
        jsonbuf_raw(&b, "[");
        jsonbuf_str(&b, samples[i]);
        jsonbuf_raw(&b, "]");
        char *text = jsonbuf_take(&b);
        json_error_t err;
        json_t *v = json_loads(text, 0, &err);
        if (!v)
            fail_msg("'%s' does not parse: %s", text, err.text);
        assert_string_equal(json_string_value(json_array_get(v, 0)), samples[i]);
        /* The same text jansson writes. */
        char *theirs = json_dumps(v, JSON_COMPACT);
        assert_string_equal(text, theirs);
        free(theirs);
        json_decref(v);
        free(text);
    }
}

static void test_integers_and_null(void **state)
{
    (void)state;
    jsonbuf b;
    jsonbuf_init(&b);
    jsonbuf_raw(&b, "[");
    jsonbuf_int(&b, 0);
    jsonbuf_raw(&b, ",");
    jsonbuf_int(&b, -25);
    jsonbuf_raw(&b, ",");
    jsonbuf_int(&b, INT64_MAX);
    jsonbuf_raw(&b, ",");
    jsonbuf_int(&b, INT64_MIN);
    jsonbuf_raw(&b, ",");
    jsonbuf_str(&b, NULL);
    jsonbuf_raw(&b, "]");
    assert_string_equal(b.text, "[0,-25,9223372036854775807,-9223372036854775808,null]");
    jsonbuf_release(&b);
    assert_null(b.text);
}

static void test_a_long_text_grows_the_buffer(void **state)
{
    (void)state;
    jsonbuf b;
    jsonbuf_init(&b);
    for (int i = 0; i < 1000; i++)
        jsonbuf_raw(&b, "0123456789");
    assert_int_equal(b.len, 10000);
    assert_int_equal(strlen(b.text), 10000);
    jsonbuf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_are_escaped_and_parse_back),
        cmocka_unit_test(test_integers_and_null),
        cmocka_unit_test(test_a_long_text_grows_the_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
