/*
 * test_member.c: unit tests for src/core/member.c (member_apply_json on create and on merge-patch
 * update, the JSON form, completeness and erasure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/member.h"
#include "core/timefmt.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00.000Z */
#define NOW_TEXT "2026-01-01T00:00:00.000Z"

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

/* Applies text (JSON) onto m at now_ms and returns the number of errors; errs holds them. */
static int apply_at(member *m, const char *text, bool creating, int64_t now_ms, errlist *errs)
{
    member_rules r = rules_at(now_ms);
    json_t *body = parse_json(text);
    errlist_init(errs);
    int n = member_apply_json(m, body, &r, creating, errs);
    json_decref(body);
    assert_int_equal(n, errs->count);
    return n;
}

/* A new member created from text, which must be valid. */
static void create_ok(member *m, const char *text)
{
    member_rules r = rules_at(NOW_MS);
    errlist errs;
    member_init(m, &r);
    if (apply_at(m, text, true, NOW_MS, &errs) != 0)
        fail_msg("create refused: %s: %s", errs.items[0].field, errs.items[0].message);
}

static int find_error(const errlist *e, const char *field)
{
    for (int i = 0; i < e->count && i < ERRLIST_MAX; i++)
        if (strcmp(e->items[i].field, field) == 0)
            return i;
    return -1;
}

#define ASSERT_FIELD_ERROR(errs, field, needle)                                                    \
    do {                                                                                           \
        int i_ = find_error((errs), (field));                                                      \
        if (i_ < 0)                                                                                \
            fail_msg("no error for field '%s'", (field));                                          \
        if (!strstr((errs)->items[i_].message, (needle)))                                          \
            fail_msg("error for '%s' is '%s', expected it to contain '%s'", (field),               \
                     (errs)->items[i_].message, (needle));                                         \
    } while (0)

/* Asserts that every key of body appears in the member's JSON form with the same value. */
static void assert_json_has_body(const member *m, const char *body_text)
{
    json_t *body = parse_json(body_text), *out = member_to_json(m);
    const char *key;
    json_t *want;
    json_object_foreach(body, key, want) {
        json_t *got = json_object_get(out, key);
        if (!json_equal(want, got)) {
            char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
            char *w = json_dumps(want, JSON_ENCODE_ANY);
            fail_msg("field %s: got %s, want %s", key, g ? g : "(missing)", w);
        }
    }
    json_decref(body);
    json_decref(out);
}

static const char *json_str(json_t *o, const char *path1, const char *path2)
{
    json_t *v = json_object_get(o, path1);
    if (path2)
        v = json_object_get(v, path2);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char full_create[] = "{"
                                  "\"external_ref\": \"EXT-1\","
                                  "\"given_name\": \"علی\","
                                  "\"family_name\": \"رضایی\","
                                  "\"phone\": \"+989121234567\","
                                  "\"email\": \"ali@example.com\","
                                  "\"birthday\": {\"date\": \"1990-05-17\", \"calendar\": \"gregorian\"},"
                                  "\"time_zone\": \"Europe/Berlin\","
                                  "\"locale\": \"en\","
                                  "\"kind\": \"prospect\","
                                  "\"consent\": {\"email\": true, \"sms\": false},"
                                  "\"attributes\": {\"tier\": \"gold\", \"visits\": 3, \"tags\": [\"a\", \"b\"],"
                                  " \"nested\": {\"x\": 1}}"
                                  "}";

static void test_init_sets_defaults_from_rules(void **state)
{
    (void)state;
    member m;
    member_rules r = rules_at(NOW_MS);
    member_init(&m, &r);
    assert_string_equal(m.time_zone, "Asia/Tehran");
    assert_string_equal(m.locale, "fa");
    assert_int_equal(m.kind, MEMBER_KIND_MEMBER);
    assert_true(json_is_object(m.attributes));
    assert_int_equal(json_object_size(m.attributes), 0);
    assert_true(m.created_at == NOW_MS && m.updated_at == NOW_MS);
    assert_true(m.id == 0 && m.erased_at == 0);
    member_release(&m);
}

static void test_create_round_trips_every_field_through_json(void **state)
{
    (void)state;
    member m;
    create_ok(&m, full_create);
    assert_json_has_body(&m, full_create);

    json_t *out = member_to_json(&m);
    assert_int_equal(json_integer_value(json_object_get(out, "id")), 0);
    assert_string_equal(json_str(out, "created_at", NULL), NOW_TEXT);
    assert_string_equal(json_str(out, "updated_at", NULL), NOW_TEXT);
    assert_true(json_is_null(json_object_get(out, "erased_at")));
    /* Consent given on create is timestamped; consent left false is not. */
    assert_string_equal(json_str(out, "consent_at", "email"), NOW_TEXT);
    assert_true(json_is_null(json_object_get(json_object_get(out, "consent_at"), "sms")));
    json_decref(out);
    member_release(&m);
}

static void test_update_round_trips_every_field_and_touches_only_updated_at(void **state)
{
    (void)state;
    member m;
    create_ok(&m, full_create);
    static const char update[] = "{"
                                 "\"external_ref\": \"EXT-2\","
                                 "\"given_name\": \"سارا\","
                                 "\"family_name\": \"کریمی\","
                                 "\"phone\": \"+989351112233\","
                                 "\"email\": \"sara@example.org\","
                                 "\"birthday\": {\"date\": \"1370-01-15\", \"calendar\": \"persian\"},"
                                 "\"time_zone\": \"UTC\","
                                 "\"locale\": \"fa\","
                                 "\"kind\": \"member\","
                                 "\"consent\": {\"email\": false, \"sms\": true}"
                                 "}";
    errlist errs;
    assert_int_equal(apply_at(&m, update, false, NOW_MS + 1000, &errs), 0);
    assert_json_has_body(&m, update);
    json_t *out = member_to_json(&m);
    assert_string_equal(json_str(out, "created_at", NULL), NOW_TEXT);
    assert_string_equal(json_str(out, "updated_at", NULL), "2026-01-01T00:00:01.000Z");
    assert_string_equal(json_str(out, "consent_at", "email"), "2026-01-01T00:00:01.000Z");
    assert_string_equal(json_str(out, "consent_at", "sms"), "2026-01-01T00:00:01.000Z");
    /* attributes were not in the patch: they stay as they were. */
    json_t *want_attrs = parse_json("{\"tier\": \"gold\", \"visits\": 3, \"tags\": [\"a\", \"b\"], \"nested\": {\"x\": 1}}");
    assert_true(json_equal(json_object_get(out, "attributes"), want_attrs));
    json_decref(want_attrs);
    json_decref(out);
    member_release(&m);
}

static void test_unknown_field_error_names_the_field(void **state)
{
    (void)state;
    member m;
    create_ok(&m, "{\"given_name\": \"علی\"}");
    errlist errs;
    assert_int_equal(apply_at(&m, "{\"nickname\": \"x\", \"given_name\": \"رضا\"}", true, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "nickname", "is not a known field");
    assert_int_equal(apply_at(&m, "{\"birthday\": {\"date\": \"1990-01-01\", \"era\": \"ad\"}}", false, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "birthday.era", "is not a known field");
    assert_int_equal(apply_at(&m, "{\"consent\": {\"push\": true}}", false, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "consent.push", "is not a known channel");
    member_release(&m);
}

static void test_read_only_fields_are_refused_by_name(void **state)
{
    (void)state;
    static const char *const ro[] = {"id", "created_at", "updated_at", "consent_at", "erased_at"};
    member m;
    create_ok(&m, "{\"given_name\": \"علی\"}");
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"%s\": 1}", ro[i]);
        errlist errs;
        for (int creating = 0; creating <= 1; creating++) {
            assert_int_equal(apply_at(&m, body, creating, NOW_MS, &errs), 1);
            ASSERT_FIELD_ERROR(&errs, ro[i], "is read-only");
        }
    }
    assert_true(m.id == 0);
    member_release(&m);
}

static void test_wrong_types_are_refused_per_field(void **state)
{
    (void)state;
    static const char body[] = "{"
                               "\"external_ref\": 7,"
                               "\"given_name\": 5,"
                               "\"family_name\": [\"x\"],"
                               "\"phone\": true,"
                               "\"email\": {},"
                               "\"birthday\": \"1990-01-01\","
                               "\"time_zone\": 3,"
                               "\"locale\": \"de\","
                               "\"kind\": \"vip\","
                               "\"consent\": true,"
                               "\"attributes\": [1, 2]"
                               "}";
    static const char *const fields[] = {"external_ref", "given_name", "family_name", "phone",  "email",     "birthday",
                                         "time_zone",    "locale",     "kind",        "consent", "attributes"};
    member m;
    member_rules r = rules_at(NOW_MS);
    member_init(&m, &r);
    errlist errs;
    assert_int_equal(apply_at(&m, body, true, NOW_MS, &errs), (int)(sizeof fields / sizeof fields[0]));
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (find_error(&errs, fields[i]) < 0)
            fail_msg("no error for %s", fields[i]);
    ASSERT_FIELD_ERROR(&errs, "given_name", "must be a string or null");
    ASSERT_FIELD_ERROR(&errs, "locale", "\"fa\"");
    ASSERT_FIELD_ERROR(&errs, "kind", "\"prospect\"");
    ASSERT_FIELD_ERROR(&errs, "attributes", "must be a JSON object");
    assert_string_equal(m.locale, "fa");
    assert_int_equal(m.kind, MEMBER_KIND_MEMBER);

    assert_int_equal(apply_at(&m, "{\"consent\": {\"email\": \"yes\", \"sms\": 1}}", true, NOW_MS, &errs), 2);
    ASSERT_FIELD_ERROR(&errs, "consent.email", "must be true or false");
    ASSERT_FIELD_ERROR(&errs, "consent.sms", "must be true or false");
    assert_false(m.consent_email || m.consent_sms);

    assert_int_equal(apply_at(&m, "{\"birthday\": {\"date\": 19900101}}", true, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "birthday.date", "YYYY-MM-DD");
    assert_int_equal(apply_at(&m, "{\"birthday\": {\"date\": \"1990-01-01\", \"calendar\": \"julian\"}}", true, NOW_MS,
                              &errs),
                     1);
    ASSERT_FIELD_ERROR(&errs, "birthday.calendar", "\"persian\"");
    assert_false(m.has_birthday);
    member_release(&m);
}

static void test_body_that_is_not_an_object_is_one_error(void **state)
{
    (void)state;
    member m;
    member_rules r = rules_at(NOW_MS);
    member_init(&m, &r);
    errlist errs;
    assert_int_equal(apply_at(&m, "[1, 2]", true, NOW_MS, &errs), 1);
    assert_string_equal(errs.items[0].field, "");
    member_release(&m);
}

static void test_phone_is_normalised_from_persian_digits_with_region_ir(void **state)
{
    (void)state;
    member m;
    create_ok(&m, "{\"phone\": \"۰۹۱۲ ۱۲۳ ۴۵۶۷\"}");
    assert_string_equal(m.phone, "+989121234567");
    errlist errs;
    assert_int_equal(apply_at(&m, "{\"phone\": \"0935-111-2233\"}", false, NOW_MS, &errs), 0);
    assert_string_equal(m.phone, "+989351112233");
    assert_int_equal(apply_at(&m, "{\"phone\": \"12\"}", false, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "phone", "");
    member_release(&m);
}

static void test_email_is_trimmed_and_lowercased(void **state)
{
    (void)state;
    member m;
    create_ok(&m, "{\"email\": \"  Ali.Rezaei@Example.COM \"}");
    assert_string_equal(m.email, "ali.rezaei@example.com");
    errlist errs;
    assert_int_equal(apply_at(&m, "{\"email\": \"not-an-address\"}", false, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "email", "");
    member_release(&m);
}

static void test_names_are_normalised_and_bounded(void **state)
{
    (void)state;
    member m;
    create_ok(&m, "{\"given_name\": \"  علي \", \"family_name\": \"كريمي\"}");
    assert_string_equal(m.given_name, "علی");
    assert_string_equal(m.family_name, "کریمی");

    char body[MEMBER_NAME_MAX + 64];
    char name[MEMBER_NAME_MAX + 2];
    memset(name, 'a', MEMBER_NAME_MAX);
    name[MEMBER_NAME_MAX] = '\0';
    snprintf(body, sizeof body, "{\"given_name\": \"%s\"}", name);
    errlist errs;
    assert_int_equal(apply_at(&m, body, false, NOW_MS, &errs), 0);
    assert_int_equal(strlen(m.given_name), MEMBER_NAME_MAX);
    name[MEMBER_NAME_MAX] = 'a';
    name[MEMBER_NAME_MAX + 1] = '\0';
    snprintf(body, sizeof body, "{\"given_name\": \"%s\"}", name);
    assert_int_equal(apply_at(&m, body, false, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "given_name", "at most 256 bytes");
    member_release(&m);
}

static void test_persian_birthday_on_a_leap_day_is_valid(void **state)
{
    (void)state;
    member m;
    create_ok(&m, "{\"birthday\": {\"date\": \"1403-12-30\", \"calendar\": \"persian\"}}");
    assert_true(m.has_birthday);
    assert_int_equal(m.birthday_calendar, CALENDAR_PERSIAN);
    assert_int_equal(m.birthday_y, 1403);
    assert_int_equal(m.birthday_m, 12);
    assert_int_equal(m.birthday_d, 30);
    json_t *out = member_to_json(&m);
    assert_string_equal(json_str(out, "birthday", "date"), "1403-12-30");
    assert_string_equal(json_str(out, "birthday", "calendar"), "persian");
    json_decref(out);

    /* Persian digits in the date are read as well. */
    errlist errs;
    assert_int_equal(apply_at(&m, "{\"birthday\": {\"date\": \"۱۳۷۰-۰۱-۱۵\", \"calendar\": \"persian\"}}", false,
                              NOW_MS, &errs),
                     0);
    assert_true(m.birthday_y == 1370 && m.birthday_m == 1 && m.birthday_d == 15);
    member_release(&m);
}

static void test_persian_birthday_on_a_day_that_does_not_exist_is_refused(void **state)
{
    (void)state;
    member m;
    member_rules r = rules_at(NOW_MS);
    member_init(&m, &r);
    errlist errs;
    assert_int_equal(
        apply_at(&m, "{\"birthday\": {\"date\": \"1402-12-30\", \"calendar\": \"persian\"}}", true, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "birthday.date", "");
    assert_false(m.has_birthday);
    assert_int_equal(apply_at(&m, "{\"birthday\": {\"date\": \"2023-02-29\"}}", true, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "birthday.date", "");
    assert_false(m.has_birthday);
    member_release(&m);
}

static void test_future_birthday_is_refused_and_today_accepted(void **state)
{
    (void)state;
    member m;
    member_rules r = rules_at(NOW_MS);
    member_init(&m, &r);
    errlist errs;
    assert_int_equal(apply_at(&m, "{\"birthday\": {\"date\": \"2026-01-02\"}}", true, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "birthday.date", "must not be in the future");
    assert_false(m.has_birthday);
    /* 1405-01-01 is 2026-03-21. */
    assert_int_equal(
        apply_at(&m, "{\"birthday\": {\"date\": \"1405-01-01\", \"calendar\": \"persian\"}}", true, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "birthday.date", "must not be in the future");
    assert_false(m.has_birthday);
    assert_int_equal(apply_at(&m, "{\"birthday\": {\"date\": \"2026-01-01\"}}", true, NOW_MS, &errs), 0);
    assert_true(m.has_birthday);
    assert_int_equal(apply_at(&m, "{\"birthday\": {\"date\": \"1899-12-31\"}}", true, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "birthday.date", "1900");
    member_release(&m);
}

/* {"k":"xxx..."} whose compact form is exactly total bytes. */
static char *attributes_body_of_size(size_t total)
{
    size_t fill = total - strlen("{\"k\":\"\"}");
    static const char head[] = "{\"attributes\": {\"k\":\"", tail[] = "\"}}";
    char *body = malloc(sizeof head + fill + sizeof tail);
    memcpy(body, head, sizeof head - 1);
    memset(body + sizeof head - 1, 'x', fill);
    memcpy(body + sizeof head - 1 + fill, tail, sizeof tail); /* with its NUL */
    return body;
}

static void test_attributes_over_4096_bytes_are_refused(void **state)
{
    (void)state;
    member m;
    member_rules r = rules_at(NOW_MS);
    member_init(&m, &r);
    errlist errs;
    char *at_limit = attributes_body_of_size(MEMBER_ATTRIBUTES_MAX);
    char *over = attributes_body_of_size(MEMBER_ATTRIBUTES_MAX + 1);
    assert_int_equal(apply_at(&m, at_limit, true, NOW_MS, &errs), 0);
    assert_int_equal(strlen(json_string_value(json_object_get(m.attributes, "k"))), MEMBER_ATTRIBUTES_MAX - 8);
    assert_int_equal(apply_at(&m, over, true, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "attributes", "4096");
    /* The refused value did not replace the accepted one. */
    assert_int_equal(strlen(json_string_value(json_object_get(m.attributes, "k"))), MEMBER_ATTRIBUTES_MAX - 8);
    free(at_limit);
    free(over);

    /* A patch that is small itself but makes the merged object too big is refused too. */
    char patch[64 + 200];
    char fill[201];
    memset(fill, 'y', 200);
    fill[200] = '\0';
    snprintf(patch, sizeof patch, "{\"attributes\": {\"more\": \"%s\"}}", fill);
    assert_int_equal(apply_at(&m, patch, false, NOW_MS, &errs), 1);
    ASSERT_FIELD_ERROR(&errs, "attributes", "at most");
    assert_null(json_object_get(m.attributes, "more"));
    member_release(&m);
}

static void test_merge_patch_null_clears_and_absent_fields_stay(void **state)
{
    (void)state;
    member m;
    create_ok(&m, full_create);
    errlist errs;
    assert_int_equal(apply_at(&m, "{\"email\": null, \"external_ref\": null, \"birthday\": null}", false, NOW_MS + 5,
                              &errs),
                     0);
    assert_string_equal(m.email, "");
    assert_string_equal(m.external_ref, "");
    assert_false(m.has_birthday);
    assert_string_equal(m.given_name, "علی");
    assert_string_equal(m.phone, "+989121234567");
    assert_string_equal(m.time_zone, "Europe/Berlin");
    assert_int_equal(m.kind, MEMBER_KIND_PROSPECT);
    assert_true(m.consent_email);
    assert_true(m.updated_at == NOW_MS + 5);
    json_t *out = member_to_json(&m);
    assert_true(json_is_null(json_object_get(out, "email")));
    assert_true(json_is_null(json_object_get(out, "birthday")));
    json_decref(out);
    member_release(&m);
}

static void test_merge_patch_merges_attributes_key_by_key(void **state)
{
    (void)state;
    member m;
    create_ok(&m, "{\"given_name\": \"علی\", \"attributes\": {\"a\": 1, \"b\": {\"x\": 1, \"y\": 2}, \"c\": 3,"
                  " \"list\": [1, 2, 3]}}");
    errlist errs;
    assert_int_equal(apply_at(&m,
                              "{\"attributes\": {\"a\": 2, \"b\": {\"y\": null, \"z\": 3}, \"c\": null,"
                              " \"d\": {\"e\": null, \"f\": 1}, \"list\": [9]}}",
                              false, NOW_MS, &errs),
                     0);
    json_t *want = parse_json("{\"a\": 2, \"b\": {\"x\": 1, \"z\": 3}, \"d\": {\"f\": 1}, \"list\": [9]}");
    if (!json_equal(m.attributes, want)) {
        char *got = json_dumps(m.attributes, JSON_COMPACT);
        fail_msg("attributes after merge: %s", got);
    }
    json_decref(want);

    /* A nested object replacing a scalar, and null for the whole attributes clearing them. */
    assert_int_equal(apply_at(&m, "{\"attributes\": {\"a\": {\"deep\": {\"k\": true, \"gone\": null}}}}", false,
                              NOW_MS, &errs),
                     0);
    want = parse_json("{\"a\": {\"deep\": {\"k\": true}}, \"b\": {\"x\": 1, \"z\": 3}, \"d\": {\"f\": 1}, \"list\": [9]}");
    assert_true(json_equal(m.attributes, want));
    json_decref(want);
    assert_int_equal(apply_at(&m, "{\"attributes\": null}", false, NOW_MS, &errs), 0);
    assert_true(json_is_object(m.attributes));
    assert_int_equal(json_object_size(m.attributes), 0);
    member_release(&m);
}

static void test_create_takes_attributes_as_given_without_merging(void **state)
{
    (void)state;
    member m;
    create_ok(&m, "{\"attributes\": {\"a\": 1, \"b\": 2}}");
    errlist errs;
    assert_int_equal(apply_at(&m, "{\"attributes\": {\"c\": 3}}", true, NOW_MS, &errs), 0);
    json_t *want = parse_json("{\"c\": 3}");
    assert_true(json_equal(m.attributes, want));
    json_decref(want);
    member_release(&m);
}

static void test_consent_time_changes_only_when_the_value_changes(void **state)
{
    (void)state;
    member m;
    create_ok(&m, "{\"given_name\": \"علی\", \"consent\": {\"email\": false, \"sms\": true}}");
    assert_true(m.consent_email_at == 0);
    assert_true(m.consent_sms_at == NOW_MS);

    errlist errs;
    /* Same values again later: no new timestamps. */
    assert_int_equal(apply_at(&m, "{\"consent\": {\"email\": false, \"sms\": true}}", false, NOW_MS + 1000, &errs), 0);
    assert_true(m.consent_email_at == 0);
    assert_true(m.consent_sms_at == NOW_MS);

    assert_int_equal(apply_at(&m, "{\"consent\": {\"email\": true}}", false, NOW_MS + 2000, &errs), 0);
    assert_true(m.consent_email && m.consent_email_at == NOW_MS + 2000);
    assert_true(m.consent_sms && m.consent_sms_at == NOW_MS);

    assert_int_equal(apply_at(&m, "{\"consent\": {\"sms\": false}}", false, NOW_MS + 3000, &errs), 0);
    assert_true(!m.consent_sms && m.consent_sms_at == NOW_MS + 3000);
    assert_true(m.consent_email_at == NOW_MS + 2000);

    /* An update without consent leaves both times alone. */
    assert_int_equal(apply_at(&m, "{\"given_name\": \"رضا\"}", false, NOW_MS + 4000, &errs), 0);
    assert_true(m.consent_email_at == NOW_MS + 2000 && m.consent_sms_at == NOW_MS + 3000);
    member_release(&m);
}

static void test_check_complete_needs_one_way_to_know_the_person(void **state)
{
    (void)state;
    static const char *const enough[] = {"{\"given_name\": \"علی\"}", "{\"family_name\": \"رضایی\"}",
                                         "{\"phone\": \"09121234567\"}", "{\"email\": \"a@example.com\"}",
                                         "{\"external_ref\": \"X1\"}"};
    member m;
    errlist errs;
    create_ok(&m, "{\"kind\": \"prospect\", \"attributes\": {\"a\": 1}, \"consent\": {\"sms\": true}}");
    errlist_init(&errs);
    member_check_complete(&m, &errs);
    assert_int_equal(errs.count, 1);
    assert_string_equal(errs.items[0].field, "");
    member_release(&m);
    for (size_t i = 0; i < sizeof enough / sizeof enough[0]; i++) {
        create_ok(&m, enough[i]);
        errlist_init(&errs);
        member_check_complete(&m, &errs);
        if (errs.count != 0)
            fail_msg("%s should be complete", enough[i]);
        member_release(&m);
    }
}

static void test_erase_clears_personal_fields_and_sets_erased_at(void **state)
{
    (void)state;
    member m;
    create_ok(&m, full_create);
    m.id = 42;
    const int64_t later = NOW_MS + 60000;
    member_erase(&m, later);
    assert_true(m.id == 42);
    assert_string_equal(m.external_ref, "");
    assert_string_equal(m.given_name, "");
    assert_string_equal(m.family_name, "");
    assert_string_equal(m.phone, "");
    assert_string_equal(m.email, "");
    assert_false(m.has_birthday);
    assert_false(m.consent_email || m.consent_sms);
    /* Withdrawing consent by erasure is itself a consent change, timestamped. */
    assert_true(m.consent_email_at == later);
    assert_true(m.consent_sms_at == 0);
    assert_int_equal(json_object_size(m.attributes), 0);
    assert_true(m.erased_at == later && m.updated_at == later && m.created_at == NOW_MS);
    assert_int_equal(m.kind, MEMBER_KIND_PROSPECT);

    json_t *out = member_to_json(&m);
    static const char *const nulls[] = {"external_ref", "given_name", "family_name", "phone",
                                        "email",        "birthday",   "attributes"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (!json_is_null(json_object_get(out, nulls[i])))
            fail_msg("%s should be null after erasure", nulls[i]);
    assert_string_equal(json_str(out, "erased_at", NULL), "2026-01-01T00:01:00.000Z");
    assert_int_equal(json_integer_value(json_object_get(out, "id")), 42);
    json_decref(out);
    member_release(&m);
}

static void test_copy_is_deep(void **state)
{
    (void)state;
    member a, b;
    create_ok(&a, "{\"given_name\": \"علی\", \"attributes\": {\"k\": 1}}");
    member_copy(&b, &a);
    json_object_set_new(b.attributes, "k", json_integer(2));
    assert_int_equal(json_integer_value(json_object_get(a.attributes, "k")), 1);
    assert_string_equal(b.given_name, "علی");
    member_release(&a);
    member_release(&b);
}

static void test_kind_names_round_trip(void **state)
{
    (void)state;
    member_kind k;
    assert_int_equal(member_kind_from_name(member_kind_name(MEMBER_KIND_PROSPECT), &k), 0);
    assert_int_equal(k, MEMBER_KIND_PROSPECT);
    assert_int_equal(member_kind_from_name(member_kind_name(MEMBER_KIND_MEMBER), &k), 0);
    assert_int_equal(k, MEMBER_KIND_MEMBER);
    assert_int_equal(member_kind_from_name("Member", &k), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_sets_defaults_from_rules),
        cmocka_unit_test(test_create_round_trips_every_field_through_json),
        cmocka_unit_test(test_update_round_trips_every_field_and_touches_only_updated_at),
        cmocka_unit_test(test_unknown_field_error_names_the_field),
        cmocka_unit_test(test_read_only_fields_are_refused_by_name),
        cmocka_unit_test(test_wrong_types_are_refused_per_field),
        cmocka_unit_test(test_body_that_is_not_an_object_is_one_error),
        cmocka_unit_test(test_phone_is_normalised_from_persian_digits_with_region_ir),
        cmocka_unit_test(test_email_is_trimmed_and_lowercased),
        cmocka_unit_test(test_names_are_normalised_and_bounded),
        cmocka_unit_test(test_persian_birthday_on_a_leap_day_is_valid),
        cmocka_unit_test(test_persian_birthday_on_a_day_that_does_not_exist_is_refused),
        cmocka_unit_test(test_future_birthday_is_refused_and_today_accepted),
        cmocka_unit_test(test_attributes_over_4096_bytes_are_refused),
        cmocka_unit_test(test_merge_patch_null_clears_and_absent_fields_stay),
        cmocka_unit_test(test_merge_patch_merges_attributes_key_by_key),
        cmocka_unit_test(test_create_takes_attributes_as_given_without_merging),
        cmocka_unit_test(test_consent_time_changes_only_when_the_value_changes),
        cmocka_unit_test(test_check_complete_needs_one_way_to_know_the_person),
        cmocka_unit_test(test_erase_clears_personal_fields_and_sets_erased_at),
        cmocka_unit_test(test_copy_is_deep),
        cmocka_unit_test(test_kind_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
