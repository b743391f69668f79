/*
 * test_member_json.c: unit tests for src/core/member_json.c: member_json_text against json_dumps of
 * member_to_json's tree (fields, escapes, bytes jansson refuses, stored attributes copied as they are), and
 * member_attributes_text_ok against jansson's own round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/member.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00.000Z */

static member_rules rules_at(int64_t now_ms)
{
    member_rules r = {.phone_region = "IR", .default_time_zone = "Asia/Tehran", .default_locale = "fa", .now_ms = now_ms};
    return r;
}

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad JSON in test: %s: %s", text, jerr.text);
    return j;
}

/* A member with every field set, as member_apply_json would leave it. */
static void full_member(member *m)
{
    member_rules r = rules_at(NOW_MS);
    member_init(m, &r);
    snprintf(m->external_ref, sizeof(m->external_ref), "EXT-1");
    snprintf(m->given_name, sizeof(m->given_name), "علی");
    snprintf(m->family_name, sizeof(m->family_name), "رضایی");
    snprintf(m->phone, sizeof(m->phone), "+989121234567");
    snprintf(m->email, sizeof(m->email), "ali@example.com");
    m->has_birthday = true;
    m->birthday_y = 1990, m->birthday_m = 5, m->birthday_d = 17;
    snprintf(m->time_zone, sizeof(m->time_zone), "Europe/Berlin");
    snprintf(m->locale, sizeof(m->locale), "en");
    m->kind = MEMBER_KIND_PROSPECT;
    m->consent_email = true;
    m->consent_email_at = NOW_MS;
    json_decref(m->attributes);
    m->attributes = parse_json("{\"tier\": \"gold\", \"visits\": 3, \"tags\": [\"a\", \"b\"], \"nested\": {\"x\": 1}}");
}

/* member_json_text must write exactly what json_dumps(member_to_json(m), JSON_COMPACT) writes. */
static void assert_text_matches_tree(const member *m)
{
    json_t *tree = member_to_json(m);
    char *want = json_dumps(tree, JSON_COMPACT);
    json_decref(tree);
    assert_non_null(want);
    char buf[8192];
    long n = member_json_text(m, NULL, buf, sizeof(buf));
    assert_int_equal(n, (long)strlen(want));
    assert_string_equal(buf, want);
    /* Like snprintf: a short buffer gets a cut, terminated text and the whole length. */
    char small[40];
    assert_int_equal(member_json_text(m, NULL, small, sizeof(small)), n);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_memory_equal(small, want, sizeof(small) - 1);
    assert_int_equal(member_json_text(m, NULL, NULL, 0), n);
    free(want);
}

static void test_json_text_is_the_tree_dumped_compactly(void **state)
{
    (void)state;
    member m;
    full_member(&m);
    m.id = 1234567;
    m.stats.points_available = -5;
    m.stats.points_pending = 70;
    m.stats.points_lifetime = INT64_MAX;
    m.stats.purchase_count = 3;
    m.stats.total_spent_minor = INT64_MIN;
    m.stats.last_purchase_at = NOW_MS + 1;
    assert_text_matches_tree(&m);
    m.stats.tier_id = 2;
    snprintf(m.stats.tier_name_en, sizeof(m.stats.tier_name_en), "Gold \"one\"");
    snprintf(m.stats.tier_name_fa, sizeof(m.stats.tier_name_fa), "طلایی");
    m.stats.tier_since = -1;
    m.stats.tier_review_at = INT64_C(253402300800000); /* year 10000 */
    assert_text_matches_tree(&m);
    member_erase(&m, NOW_MS + 5);
    assert_text_matches_tree(&m);
    member_release(&m);

    member_rules r = rules_at(NOW_MS);
    member_init(&m, &r); /* nothing but the defaults: null for every empty text */
    assert_text_matches_tree(&m);
    static const int dates[][3] = {{1370, 1, 5}, {0, 12, 31}, {-5, 1, 1}, {12345, 6, 7}, {9999, 0, 100}};
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        m.has_birthday = true;
        m.birthday_calendar = i % 2 ? CALENDAR_PERSIAN : CALENDAR_GREGORIAN;
        m.birthday_y = dates[i][0], m.birthday_m = dates[i][1], m.birthday_d = dates[i][2];
        assert_text_matches_tree(&m);
    }
    member_release(&m);
}

static void test_json_text_escapes_as_jansson_does(void **state)
{
    (void)state;
    member_rules r = rules_at(NOW_MS);
    member m;
    member_init(&m, &r);
    /* Escapes, every other control character, DEL, slash and multi-byte text pass as jansson writes them. */
    snprintf(m.given_name, sizeof(m.given_name), "a\"b\\c\b\f\n\r\t/\x7f\x01\x1f end");
    snprintf(m.family_name, sizeof(m.family_name), "%s",
             "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf\xdb\x8c \xe2\x82\xac \xf0\x9f\x98\x80");
    snprintf(m.external_ref, sizeof(m.external_ref), "\"");
    json_decref(m.attributes);
    m.attributes = parse_json("{\"z\": 1.5, \"a\": [true, null, \"\\u0001\"], \"n\": {\"k\": -3}}");
    assert_text_matches_tree(&m);
    member_release(&m);
}

/* Random bytes in a name: the text equals the tree's dump, or the writer gives up exactly when the tree has
 * dropped the field (jansson refused the bytes). */
static void test_json_text_agrees_with_the_tree_on_random_bytes(void **state)
{
    (void)state;
    member_rules r = rules_at(NOW_MS);
    uint32_t seed = 12345;
    for (int round = 0; round < 3000; round++) {
        member m;
        member_init(&m, &r);
        int len = 1 + round % 40;
        for (int i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned char c = (unsigned char)(seed >> 16);
            m.given_name[i] = (char)(c == 0 ? 'x' : c);
        }
        m.given_name[len] = '\0';
        char buf[4096];
        if (member_json_text(&m, NULL, buf, sizeof(buf)) < 0) {
            json_t *tree = member_to_json(&m);
            assert_null(json_object_get(tree, "given_name"));
            json_decref(tree);
        } else {
            assert_text_matches_tree(&m);
        }
        member_release(&m);
    }
}

static void test_json_text_gives_up_where_the_tree_drops_a_field(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xff", "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80" /* surrogate */, "\xf4\x90\x80\x80" /* > U+10FFFF */,
        "ab\xd9", "\x80",
    };
    member_rules r = rules_at(NOW_MS);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        member m;
        member_init(&m, &r);
        snprintf(m.given_name, sizeof(m.given_name), "%s", bad[i]);
        char buf[4096];
        assert_int_equal(member_json_text(&m, NULL, buf, sizeof(buf)), -1);
        member_release(&m);
    }
}

/* What json_dumps(json_loads(text), JSON_COMPACT) gives back; NULL when json_loads refuses text. */
static char *round_trip(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return out;
}

/* The property member_attributes_text_ok stands for: accepted text comes back from the round trip unchanged. */
static void assert_ok_means_round_trip(const char *text)
{
    if (!member_attributes_text_ok(text))
        return;
    char *back = round_trip(text);
    if (!back || strcmp(back, text) != 0)
        fail_msg("accepted %s, but the round trip gives %s", text, back ? back : "(refused)");
    free(back);
}

static void test_attributes_text_ok_accepts_what_jansson_writes(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{}",
        "{\"city\":\"Tehran\"}",
        "{\"city\":\"\xd8\xaa\xd9\x87\xd8\xb1\xd8\xa7\xd9\x86\",\"source\":\"pos\",\"vip\":true,\"children\":2}",
        "{\"a\":[1,-2,0,true,false,null,\"x\",[],{}],\"b\":{\"c\":{\"d\":[{\"e\":\"f\"}]}}}",
        "{\"esc\":\"q\\\"b\\\\s\\b\\f\\n\\r\\t\\u0001\\u001F\x7f/\",\"\":\"\"}",
        "{\"max\":9223372036854775807,\"min\":-9223372036854775808}",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!member_attributes_text_ok(ok[i]))
            fail_msg("refused %s", ok[i]);
        assert_ok_means_round_trip(ok[i]);
    }
}

static void test_attributes_text_ok_refuses_what_a_round_trip_would_change(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "", "[]", "\"x\"", "{} ", " {}", "{ }", "{\"a\": 1}", "{\"a\":1 }", "{\"a\":1,}", "{\"a\"}",
        "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":-0}", "{\"a\":01}", "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775809}", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":1}}",
        "{\"a\":\"\\/\"}", "{\"a\":\"\\u00e9\"}", "{\"a\":\"\\u001f\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\u000A\"}",
        "{\"a\":\"\\u0041\"}", "{\"a\":\"\t\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\\u00",
        "{\"a\":tru}", "{\"a\":nul", "{\"a\":\"x", "{\"a\":[1,2}", "{\"a\":1}}", "{\"a\":1}x",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        if (member_attributes_text_ok(refused[i]))
            fail_msg("accepted %s", refused[i]);
    assert_false(member_attributes_text_ok(NULL));
}

/* Random edits of accepted texts: whatever is still accepted must come back from the round trip unchanged. */
static void test_attributes_text_ok_holds_under_random_edits(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "{\"city\":\"Tehran\",\"n\":12,\"tags\":[\"a\",\"b\"],\"vip\":true,\"x\":null}",
        "{\"k\":\"\\u0001\\n\\\"\",\"\xd8\xaa\":{\"z\":-90,\"y\":[0,[]]}}",
    };
    static const char alphabet[] = "{}[]\":,\\-0123456789.eEtrufalsn u/bfA\x01\x7f\xc3\xa9\xd8";
    uint32_t seed = 99;
    char text[256];
    for (int round = 0; round < 200000; round++) {
        snprintf(text, sizeof(text), "%s", seeds[round % 2]);
        for (int edits = 1 + round % 3; edits > 0; edits--) {
            seed = seed * 1103515245u + 12345u;
            size_t len = strlen(text), at = (seed >> 8) % (len + 1);
            char c = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
            if (seed % 3 == 0 && len + 1 < sizeof(text)) { /* insert */
                memmove(text + at + 1, text + at, len - at + 1);
                text[at] = c;
            } else if (seed % 3 == 1 && at < len) { /* delete */
                memmove(text + at, text + at + 1, len - at);
            } else if (at < len) { /* replace */
                text[at] = c;
            }
        }
        assert_ok_means_round_trip(text);
    }
}

static void test_json_text_with_stored_attributes_is_the_tree_dumped(void **state)
{
    (void)state;
    static const char stored[] = "{\"city\":\"\xd8\xaa\xd9\x87\xd8\xb1\xd8\xa7\xd9\x86\",\"n\":[1,{\"a\":null}]}";
    member m;
    full_member(&m);
    json_decref(m.attributes);
    m.attributes = parse_json(stored);
    json_t *tree = member_to_json(&m);
    char *want = json_dumps(tree, JSON_COMPACT);
    json_decref(tree);
    json_decref(m.attributes);
    m.attributes = NULL; /* the text stands for them */
    char buf[4096];
    assert_true(member_attributes_text_ok(stored));
    assert_int_equal(member_json_text(&m, stored, buf, sizeof(buf)), (long)strlen(want));
    assert_string_equal(buf, want);
    free(want);
    m.erased_at = NOW_MS; /* erased: null, whatever is stored */
    assert_true(member_json_text(&m, stored, buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "\"attributes\":null"));
    member_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_text_is_the_tree_dumped_compactly),
        cmocka_unit_test(test_json_text_escapes_as_jansson_does),
        cmocka_unit_test(test_json_text_agrees_with_the_tree_on_random_bytes),
        cmocka_unit_test(test_json_text_gives_up_where_the_tree_drops_a_field),
        cmocka_unit_test(test_attributes_text_ok_accepts_what_jansson_writes),
        cmocka_unit_test(test_attributes_text_ok_refuses_what_a_round_trip_would_change),
        cmocka_unit_test(test_attributes_text_ok_holds_under_random_edits),
        cmocka_unit_test(test_json_text_with_stored_attributes_is_the_tree_dumped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
