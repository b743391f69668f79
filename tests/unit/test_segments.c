/*
 * test_segments.c: unit tests for src/store/segments.c over a real SQLite file: compiled filters (class, RFM,
 * birthdays, attributes, not) counted and listed against members whose columns are written directly, and
 * static segments' lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define DAY_MS INT64_C(86400000)

typedef struct fixture {
    char dir[64];
    store *s;
    store_reader *r;
} fixture;

/* id, class, rfm r/f/m (0: NULL), spend, last purchase days ago (-1: never), birthday, calendar, attributes */
static const struct row {
    const char *cls;
    int r, f, m;
    int64_t spend;
    int last_days;
    const char *birthday, *calendar, *attrs;
} rows[] = {
    {"main", 5, 5, 5, 9000000, 3, "1990-01-03", "gregorian", "{\"city\": \"Tehran\", \"vip\": true}"},
    {"main", 4, 5, 4, 7000000, 20, "1370-10-12", "persian", "{\"city\": \"Shiraz\"}"},
    {"occasional", 2, 2, 3, 1500000, 60, "1985-06-15", "gregorian", "{\"city\": \"Tehran\", \"size\": 38}"},
    {"at_risk", 1, 3, 2, 2500000, 200, NULL, NULL, "{}"},
    {"prospect", 0, 0, 0, 0, -1, "1372-10-20", "persian", "{\"vip\": false}"},
    {"new", 3, 1, 1, 300000, 1, "2000-12-31", "gregorian", "{}"},
};
#define ROWS (int)(sizeof(rows) / sizeof(rows[0]))

static void seed(const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/bashgah.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* Each row twice, with the same parameters: the member row, then its aggregates (member_stats). A parameter
     * number a statement lacks is not bound (SQLITE_RANGE). */
    sqlite3_stmt *st[2];
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO members (id, time_zone, locale, kind, created_at, updated_at, "
                                        "birthday, birthday_calendar, attributes) VALUES "
                                        "(?1, 'Asia/Tehran', 'fa', 'member', ?2, ?2, ?10, ?11, ?12)",
                                        -1, &st[0], NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO member_stats (member_id, class, rfm_r, rfm_f, rfm_m, "
                                        "total_spent_minor, last_purchase_at, purchase_count) VALUES "
                                        "(?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                        -1, &st[1], NULL),
                     SQLITE_OK);
    for (int i = 0; i < ROWS * 2; i++) {
        sqlite3_stmt *s = st[i % 2];
        const struct row *row = &rows[i / 2];
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        sqlite3_bind_int(s, 1, i / 2 + 1);
        sqlite3_bind_int64(s, 2, NOW_MS - 400 * DAY_MS + (i / 2) * DAY_MS);
        sqlite3_bind_text(s, 3, row->cls, -1, SQLITE_STATIC);
        if (row->r) {
            sqlite3_bind_int(s, 4, row->r);
            sqlite3_bind_int(s, 5, row->f);
            sqlite3_bind_int(s, 6, row->m);
        }
        sqlite3_bind_int64(s, 7, row->spend);
        if (row->last_days >= 0)
            sqlite3_bind_int64(s, 8, NOW_MS - row->last_days * DAY_MS);
        sqlite3_bind_int(s, 9, row->last_days >= 0 ? 2 : 0);
        if (row->birthday) {
            sqlite3_bind_text(s, 10, row->birthday, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 11, row->calendar, -1, SQLITE_STATIC);
        }
        sqlite3_bind_text(s, 12, row->attrs, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(s), SQLITE_DONE);
        assert_int_equal(sqlite3_changes(db), 1);
    }
    sqlite3_finalize(st[0]);
    sqlite3_finalize(st[1]);
    /* An erased member is in no segment, whatever it matches. */
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO members (id, time_zone, locale, kind, created_at, updated_at, "
                                  "erased_at) VALUES (7, 'UTC', 'fa', 'member', 0, 0, 1); INSERT INTO member_stats "
                                  "(member_id, erased_at, class, rfm_r, rfm_f, rfm_m) VALUES (7, 1, 'main', 5, 5, 5)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/bashgah-segments-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char err[256];
    if (store_open(&f->s, f->dir, err, sizeof err) != STORE_OK)
        return -1;
    seed(f->dir);
    f->r = store_reader_open(f->s);
    *state = f;
    return f->r ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_reader_close(f->r);
    store_close(f->s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* The ids matching filter, as "1,2,3". */
static void ids_of(fixture *f, const char *filter, char *out, size_t cap)
{
    json_t *j = json_loads(filter, 0, NULL);
    assert_non_null(j);
    segment_context ctx = {NOW_MS, "Asia/Tehran"};
    segment_sql s;
    errlist e;
    errlist_init(&e);
    if (segment_filter_compile(j, "filter", &ctx, &s, &e) != 0)
        fail_msg("%s: %s %s", filter, e.items[0].field, e.items[0].message);
    json_decref(j);
    store_segment_query q = {&s, 0};
    int64_t ids[16], count = -1;
    int n = 0;
    assert_int_equal(store_segment_member_ids(f->r, &q, 0, 16, ids, &n), STORE_OK);
    assert_int_equal(store_segment_count(f->r, &q, &count), STORE_OK);
    assert_int_equal(count, n);
    segment_sql_release(&s);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
    }
}

static void expect_ids(fixture *f, const char *filter, const char *want)
{
    char got[128];
    ids_of(f, filter, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got [%s], want [%s]", filter, got, want);
}

static void test_class_and_rfm_filters(void **state)
{
    fixture *f = *state;
    expect_ids(f, "{\"field\": \"class\", \"op\": \"eq\", \"value\": \"main\"}", "1,2");
    expect_ids(f, "{\"field\": \"class\", \"op\": \"in\", \"value\": [\"new\", \"at_risk\"]}", "4,6");
    expect_ids(f, "{\"all\": [{\"field\": \"rfm_r\", \"op\": \"gte\", \"value\": 3}, "
                  "{\"field\": \"rfm_m\", \"op\": \"between\", \"value\": [1, 4]}]}",
               "2,6");
    expect_ids(f, "{\"field\": \"rfm_f\", \"op\": \"exists\", \"value\": false}", "5");
}

static void test_not_includes_members_without_the_value(void **state)
{
    fixture *f = *state;
    /* The prospect (5) has no scores: "rfm_r >= 3" is false for it, so its negation holds. */
    expect_ids(f, "{\"not\": {\"field\": \"rfm_r\", \"op\": \"gte\", \"value\": 3}}", "3,4,5");
    expect_ids(f, "{\"not\": {\"field\": \"last_purchase\", \"op\": \"within_days\", \"value\": 30}}", "3,4,5");
}

static void test_aggregates_any_and_recency(void **state)
{
    fixture *f = *state;
    expect_ids(f, "{\"any\": [{\"field\": \"spend\", \"op\": \"gt\", \"value\": 8000000}, "
                  "{\"field\": \"last_purchase\", \"op\": \"before\", \"value\": \"2025-07-01\"}]}",
               "1,4");
    expect_ids(f, "{\"field\": \"last_purchase\", \"op\": \"within_days\", \"value\": 30}", "1,2,6");
}

static void test_attributes(void **state)
{
    fixture *f = *state;
    expect_ids(f, "{\"field\": \"attributes.city\", \"op\": \"eq\", \"value\": \"Tehran\"}", "1,3");
    expect_ids(f, "{\"field\": \"attributes.vip\", \"op\": \"eq\", \"value\": true}", "1");
    expect_ids(f, "{\"field\": \"attributes.vip\", \"op\": \"eq\", \"value\": false}", "5");
    expect_ids(f, "{\"field\": \"attributes.size\", \"op\": \"gte\", \"value\": 38}", "3");
    expect_ids(f, "{\"field\": \"attributes.city\", \"op\": \"exists\", \"value\": false}", "4,5,6");
}

static void test_birthdays_in_each_members_calendar(void **state)
{
    fixture *f = *state;
    /* Today is 1 January 2026 = 11 Dey 1404 in Tehran. Within 2 days: 3 January (1), 12 Dey (2). Within 9:
     * also 20 Dey (5). 31 December (6) was yesterday, one year away. */
    expect_ids(f, "{\"field\": \"birthday\", \"op\": \"within_days\", \"value\": 2}", "1,2");
    expect_ids(f, "{\"field\": \"birthday\", \"op\": \"within_days\", \"value\": 9}", "1,2,5");
    expect_ids(f, "{\"field\": \"birthday\", \"op\": \"within_days\", \"value\": 1}", "2");
    expect_ids(f, "{\"field\": \"birthday\", \"op\": \"exists\", \"value\": false}", "4");
}

static int set_static(store_tx *tx, void *arg)
{
    int64_t *out = arg;
    store_segment g = {0};
    snprintf(g.name, sizeof g.name, "list");
    snprintf(g.kind, sizeof g.kind, "static");
    int status = store_tx_segment_insert(tx, &g);
    const int64_t ids[] = {6, 2, 2, 99, 7};
    int64_t stored = 0;
    if (status == STORE_OK)
        status = store_tx_segment_members_set(tx, g.id, ids, 5, &stored);
    out[0] = g.id;
    out[1] = stored;
    return status;
}

static void test_static_list_skips_unknown_repeated_and_erased(void **state)
{
    fixture *f = *state;
    int64_t out[2];
    assert_int_equal(store_run(f->s, set_static, out), STORE_OK);
    assert_int_equal(out[1], 2);
    store_segment_query q = {NULL, out[0]};
    int64_t ids[8], count;
    int n;
    assert_int_equal(store_segment_member_ids(f->r, &q, 0, 8, ids, &n), STORE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 6);
    assert_int_equal(store_segment_member_ids(f->r, &q, 2, 8, ids, &n), STORE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_segment_count(f->r, &q, &count), STORE_OK);
    assert_int_equal(count, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_class_and_rfm_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_includes_members_without_the_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregates_any_and_recency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_birthdays_in_each_members_calendar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_list_skips_unknown_repeated_and_erased, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
