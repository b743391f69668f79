/*
 * test_jsonbuf.c: unit tests for src/core/jsonbuf.c (JSON text written straight into a buffer): what it writes
 * parses back (with jansson) to the same values, strings with quotes, backslashes and control characters
 * included, and integers to both ends of int64; and that text it calls compact is what jansson's compact dump
 * writes, byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/* A random JSON value of at most depth levels: the kinds of value and of string that jansson writes otherwise
 * (reals, -0, escapes, non-ASCII, slashes) come often. */
static json_t *random_value(int depth)
{
    static const char *const words[] = {"Tehran", "a/b", "قم", "quote\"", "back\\slash", "tab\t", "", "é", "0",
                                        "\x7f"};
    int kind = rand() % (depth > 0 ? 9 : 7);
    switch (kind) {
    case 0: return json_integer((json_int_t)(rand() % 2001) - 1000);
    case 1: return json_real((double)(rand() % 2001 - 1000) / 8.0);
    case 2: return json_string(words[rand() % 10]);
    case 3: return json_true();
    case 4: return json_null();
    case 5: return json_integer(0);
    case 6: return json_real(-0.0);
    case 7: {
        json_t *a = json_array();
        for (int n = rand() % 4; n > 0; n--)
            json_array_append_new(a, random_value(depth - 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (int n = rand() % 4; n > 0; n--) {
            char key[32];
            snprintf(key, sizeof key, "%s%d", words[rand() % 10], n);
            json_object_set_new(o, key, random_value(depth - 1));
        }
        return o;
    }
    }
}

static void test_text_called_compact_is_what_jansson_writes(void **state)
{
    (void)state;
    static const size_t flags[] = {JSON_COMPACT, JSON_INDENT(2), JSON_COMPACT | JSON_ENSURE_ASCII,
                                   JSON_COMPACT | JSON_ESCAPE_SLASH, 0};
    srand(7);
    int compact_seen = 0;
    for (int i = 0; i < 4000; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "v", random_value(3));
        char *text = json_dumps(o, flags[i % 5]);
        json_t *back = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(back);
        char *dump = json_dumps(back, JSON_COMPACT);
        if (jsonbuf_is_compact(text, strlen(text))) {
            assert_string_equal(text, dump);
            compact_seen++;
        }
        free(dump);
        free(text);
        json_decref(back);
        json_decref(o);
    }
    assert_true(compact_seen > 200); /* the fast path is taken often enough to be tested */
    /* Hand-written forms that jansson writes otherwise (0.1 as 0.10000000000000001, 1e2 as 100.0, -0 as 0). */
    static const char *const not_compact[] = {"{\"a\": 1}", "{\"a\":0.1}", "{\"a\":1e2}", "{\"a\":-0}",
                                              "{\"a\":\"\\/\"}", "{\"a\":\"\\u00e9\"}", "{\n\"a\":1}", NULL};
    for (int i = 0; not_compact[i]; i++)
        assert_false(jsonbuf_is_compact(not_compact[i], strlen(not_compact[i])));
    const char *usual = "{\"city\":\"Munich\",\"children\":2,\"tags\":[\"vip\",\"café\"],\"pet\":null,\"n\":-3}";
    assert_true(jsonbuf_is_compact(usual, strlen(usual)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_are_escaped_and_parse_back),
        cmocka_unit_test(test_integers_and_null),
        cmocka_unit_test(test_a_long_text_grows_the_buffer),
        cmocka_unit_test(test_text_called_compact_is_what_jansson_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
