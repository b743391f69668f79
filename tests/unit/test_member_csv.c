/*
 * test_member_csv.c: unit tests for member_csv_apply (src/core/member_csv.c), the import's direct way from CSV
 * cells to a member: for every row, good or bad, it must give what the JSON way gives (member_csv_row_json and
 * then member_apply_json on create): the same errors in the same order, or the same member.
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
#include "core/member_csv.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00.000Z */

static const member_rules rules = {"IR", "Asia/Tehran", "fa", NOW_MS};

/* Splits a line on commas (no quoting: the cells below need none) into fields; returns the count. */
static int split(char *line, char **fields, size_t *lens)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        fields[n] = p;
        lens[n] = comma ? (size_t)(comma - p) : strlen(p);
        n++;
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static void header_of(const char *text, member_csv_header *h)
{
    char buf[1024];
    char *fields[MEMBER_CSV_COLUMNS_MAX];
    size_t lens[MEMBER_CSV_COLUMNS_MAX];
    snprintf(buf, sizeof(buf), "%s", text);
    errlist e;
    errlist_init(&e);
    assert_int_equal(member_csv_header_parse(h, fields, lens, split(buf, fields, lens), &e), 0);
}

/* The bits member_csv_apply should give for a JSON form. */
static unsigned given_of(json_t *body)
{
    unsigned given = 0;
    for (int c = 0; c < MEMBER_CSV_COLUMN_COUNT; c++)
        if (json_object_get(body, member_csv_column_name((member_csv_column)c)))
            given |= 1u << c;
    json_t *consent = json_object_get(body, "consent");
    if (json_object_get(consent, "email"))
        given |= 1u << MEMBER_CSV_CONSENT_EMAIL;
    if (json_object_get(consent, "sms"))
        given |= 1u << MEMBER_CSV_CONSENT_SMS;
    if (json_is_null(json_object_get(body, "attributes")))
        given |= MEMBER_CSV_ATTRIBUTES_NULL;
    return given;
}

static void assert_same_member(const member *a, const member *b)
{
    assert_string_equal(a->external_ref, b->external_ref);
    assert_string_equal(a->given_name, b->given_name);
    assert_string_equal(a->family_name, b->family_name);
    assert_string_equal(a->phone, b->phone);
    assert_string_equal(a->email, b->email);
    assert_int_equal(a->has_birthday, b->has_birthday);
    assert_int_equal(a->birthday_calendar, b->birthday_calendar);
    assert_int_equal(a->birthday_y, b->birthday_y);
    assert_int_equal(a->birthday_m, b->birthday_m);
    assert_int_equal(a->birthday_d, b->birthday_d);
    assert_string_equal(a->time_zone, b->time_zone);
    assert_string_equal(a->locale, b->locale);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->consent_email, b->consent_email);
    assert_int_equal(a->consent_sms, b->consent_sms);
    assert_int_equal(a->consent_email_at, b->consent_email_at);
    assert_int_equal(a->consent_sms_at, b->consent_sms_at);
    assert_true(json_equal(a->attributes, b->attributes));
}

/* Runs one row both ways under header h and compares. Returns the number of errors. */
static int both_ways(const member_csv_header *h, const char *row)
{
    char buf[2][8192];
    char *fields[2][MEMBER_CSV_COLUMNS_MAX];
    size_t lens[2][MEMBER_CSV_COLUMNS_MAX];
    int count = 0;
    for (int k = 0; k < 2; k++) {
        snprintf(buf[k], sizeof(buf[k]), "%s", row);
        count = split(buf[k], fields[k], lens[k]);
    }
    /* the JSON way */
    member a;
    errlist ea;
    errlist_init(&ea);
    member_init(&a, &rules);
    json_t *body = member_csv_row_json(h, fields[0], lens[0], count, &ea);
    if (body)
        member_apply_json(&a, body, &rules, true, &ea);
    /* the direct way */
    member b;
    errlist eb;
    errlist_init(&eb);
    member_init(&b, &rules);
    unsigned given = 0;
    char *text = NULL;
    int n = member_csv_apply(&b, h, fields[1], lens[1], count, &rules, &given, &text, &eb);
    assert_int_equal(n, eb.count);
    if (ea.count != eb.count)
        fail_msg("row %s: %d errors the JSON way (first %s: %s), %d the direct way (first %s: %s)", row, ea.count,
                 ea.count ? ea.items[0].field : "", ea.count ? ea.items[0].message : "", eb.count,
                 eb.count ? eb.items[0].field : "", eb.count ? eb.items[0].message : "");
    for (int i = 0; i < ea.count && i < ERRLIST_MAX; i++) {
        assert_string_equal(ea.items[i].field, eb.items[i].field);
        assert_string_equal(ea.items[i].message, eb.items[i].message);
    }
    if (ea.count == 0) {
        assert_same_member(&a, &b);
        assert_int_equal(given, given_of(body));
        if (h->pos[MEMBER_CSV_ATTRIBUTES] >= 0) {
            char *dump = json_dumps(a.attributes, JSON_COMPACT);
            assert_non_null(text);
            assert_string_equal(text, dump);
            free(dump);
        } else {
            assert_null(text);
        }
    } else {
        assert_null(text);
    }
    free(text);
    json_decref(body);
    member_release(&a);
    member_release(&b);
    return ea.count;
}

#define FULL_HEADER                                                                                                \
    "id,external_ref,given_name,family_name,phone,email,birthday,birthday_calendar,time_zone,locale,kind,"        \
    "consent_email,consent_sms,attributes"

static void test_good_rows_give_the_same_member(void **state)
{
    (void)state;
    member_csv_header h;
    header_of(FULL_HEADER, &h);
    static const char *const rows[] = {
        "1,C-1,Ali,Rahimi,+989121234567,Ali.Rahimi@Example.com,1993-05-26,,UTC,en,prospect,true,1,{\"city\":\"Munich\"}",
        "2,C-2,پویا,قاسمی,09121234568,pouya@example.org,1385-12-22,persian,Asia/Tehran,fa,member,,true,{\"n\":2}",
        "3,C-3,علي,كاظمي,۰۹۱۲۱۲۳۴۵۶۹,,,,,,,no,0,",
        "4,,,,+49 151 1234 5678,x@example.com,2000-02-29,gregorian,Europe/Berlin,fa,member, Yes ,FALSE,{}",
        "5,C-5,  Sara  ,,,,,,,,,,,{\"a\":null}",
        "5,C-5,Sara,,,,,,,,,,,{\"b\":[2.5]}",
        "6,C-6,,,,,1344-07-30,persian,,en,,,,",
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (both_ways(&h, rows[i]) != 0)
            fail_msg("row refused: %s", rows[i]);
}

static void test_bad_rows_give_the_same_errors(void **state)
{
    (void)state;
    member_csv_header h;
    header_of(FULL_HEADER, &h);
    static const char *const rows[] = {
        "1,C-1,Ali,Rahimi,+98912,a@b.c,,,,,,,,",                           /* phone too short */
        "1,C-1,Ali,Rahimi,not a phone,bad email,,,,,,,,",                   /* phone and email */
        "1,C-1,Ali,Rahimi,,,2031-01-01,,,,,,,",                             /* future birthday */
        "1,C-1,Ali,Rahimi,,,1850-01-01,,,,,,,",                             /* before 1900 */
        "1,C-1,Ali,Rahimi,,,1993-02-30,,,,,,,",                             /* no such day */
        "1,C-1,Ali,Rahimi,,,1993-01-01,julian,,,,,,",                       /* unknown calendar */
        "1,C-1,Ali,Rahimi,,,,persian,Mars/Olympus,xx,alien,,,",             /* zone, locale, kind */
        "1,C-1,Ali,Rahimi,,,,,,,,maybe,2,",                                 /* consent words */
        "1,C-1,Ali,Rahimi,,,,,,,,,,[1]",                                    /* attributes not an object */
        "1,C-1,Ali,Rahimi,,,,,,,,,,{\"a\":1",                               /* attributes not JSON */
        "1,C-1,Ali,Rahimi,,,,,,,,,,{\"a\":1;\"a\":2}",                      /* not JSON either */
        "1,C-1,Ali",                                                         /* too few cells */
        "1,C-1,Ali,Rahimi,,,,,,,,,,,extra",                                  /* too many cells */
        "1,C-1,Ali,Rahimi,,,,,,,,yes,maybe,[2]",                             /* several cell errors */
        "\xff,C-1,Ali,Rahimi,,,,,,,,,,",                                     /* bad UTF-8 in an ignored column */
        "1,C-1,Ali\x01,Rahimi,+98912,,,,,,,,,",                              /* a control character */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_true(both_ways(&h, rows[i]) > 0);
}

static void test_limits_give_the_same_errors(void **state)
{
    (void)state;
    member_csv_header h;
    header_of("external_ref,given_name,attributes", &h);
    char row[6000], name[400], attrs[5000];
    memset(name, 'x', 300);
    name[300] = '\0';
    snprintf(row, sizeof(row), "C-1,%s,", name); /* a name over MEMBER_NAME_MAX */
    assert_int_equal(both_ways(&h, row), 1);
    int n = snprintf(attrs, sizeof(attrs), "{\"k\":\"");
    memset(attrs + n, 'v', 4200);
    snprintf(attrs + n + 4200, sizeof(attrs) - (size_t)n - 4200, "\"}");
    snprintf(row, sizeof(row), "C-1,Ali,%s", attrs); /* attributes over MEMBER_ATTRIBUTES_MAX */
    assert_int_equal(both_ways(&h, row), 1);
}

static void test_other_column_sets(void **state)
{
    (void)state;
    member_csv_header h;
    header_of("attributes,consent_sms,birthday,phone", &h);
    assert_int_equal(both_ways(&h, "{\"x\":1},true,1990-01-01,09121111111"), 0);
    assert_int_equal(both_ways(&h, ",,,09121111111"), 0);
    header_of("birthday_calendar,email", &h); /* a calendar without a date says nothing */
    assert_int_equal(both_ways(&h, "persian,a@example.com"), 0);
    assert_int_equal(both_ways(&h, "julian,a@example.com"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_rows_give_the_same_member),
        cmocka_unit_test(test_bad_rows_give_the_same_errors),
        cmocka_unit_test(test_limits_give_the_same_errors),
        cmocka_unit_test(test_other_column_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
