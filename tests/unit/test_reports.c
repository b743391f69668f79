/*
 * test_reports.c: unit tests for src/store/reports.c over a real SQLite file: members by class at an instant from
 * class_changes (written directly: the class job is not this file's), members by class now, and the summary figures
 * from the member rows' aggregates.
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

#define DAY_MS INT64_C(86400000)
#define T0 INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

typedef struct fixture {
    char dir[64];
    store *s;
    store_reader *r;
} fixture;

/* Members 1..4 join on days 0, 0, 10, 20 (member 4 is erased on day 25); their class moves:
 *   1: prospect -> new (day 1) -> main (day 15)
 *   2: prospect -> new (day 5) -> occasional (day 30) -> at_risk (day 30, a later row of the same instant)
 *   3: none (a prospect throughout)
 *   4: prospect -> new (day 21) */
static void seed(const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/bashgah.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[4096];
    snprintf(
        sql, sizeof sql,
        "INSERT INTO members (id, time_zone, locale, kind, created_at, updated_at, erased_at) "
        "VALUES (1, 'UTC', 'fa', 'member', %1$lld, %1$lld, NULL), (2, 'UTC', 'fa', 'member', %1$lld, %1$lld, NULL),"
        "(3, 'UTC', 'fa', 'member', %2$lld, %2$lld, NULL), (4, 'UTC', 'fa', 'member', %3$lld, %3$lld, %6$lld);"
        "INSERT INTO member_stats (member_id, class, purchase_count, total_spent_minor, last_purchase_at, "
        "points_available, points_pending, points_lifetime, erased_at) VALUES "
        "(1, 'main', 3, 900, %4$lld, 40, 10, 60, NULL), (2, 'at_risk', 1, 100, %5$lld, 5, 0, 5, NULL),"
        "(3, 'prospect', 0, 0, NULL, 0, 0, 0, NULL), (4, 'new', 1, 50, %3$lld, 7, 0, 7, %6$lld);"
        "INSERT INTO class_changes (member_id, from_class, to_class, at, reason) VALUES "
        "(1, 'prospect', 'new', %7$lld, 'purchase'), (1, 'new', 'main', %8$lld, 'recompute'),"
        "(2, 'prospect', 'new', %9$lld, 'purchase'), (2, 'new', 'occasional', %10$lld, 'time'),"
        "(2, 'occasional', 'at_risk', %10$lld, 'time'), (4, 'prospect', 'new', %11$lld, 'purchase');",
        (long long)T0, (long long)(T0 + 10 * DAY_MS), (long long)(T0 + 20 * DAY_MS), (long long)(T0 + 15 * DAY_MS),
        (long long)(T0 + 5 * DAY_MS), (long long)(T0 + 25 * DAY_MS), (long long)(T0 + 1 * DAY_MS),
        (long long)(T0 + 15 * DAY_MS), (long long)(T0 + 5 * DAY_MS), (long long)(T0 + 30 * DAY_MS),
        (long long)(T0 + 21 * DAY_MS));
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("seed: %s", err);
    sqlite3_close(db);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/bashgah-reports-XXXXXX");
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

/* Classes as "class=n " in name order. */
static void add(const char *cls, int64_t n, void *arg)
{
    char *out = arg;
    size_t len = strlen(out);
    snprintf(out + len, 256 - len, "%s=%lld ", cls, (long long)n);
}

static void expect_at(fixture *f, int day, const char *want)
{
    char got[256] = "";
    assert_int_equal(store_report_classes_at(f->r, T0 + day * DAY_MS, add, got), STORE_OK);
    if (strcmp(got, want) != 0)
        fail_msg("day %d: got \"%s\", want \"%s\"", day, got, want);
}

static void test_classes_at_an_instant_follow_the_history(void **state)
{
    fixture *f = *state;
    expect_at(f, 0, "");                               /* nobody had joined before the first instant */
    expect_at(f, 1, "prospect=2 ");                    /* the move at day 1 is not before day 1 */
    expect_at(f, 2, "new=1 prospect=1 ");
    expect_at(f, 12, "new=2 prospect=1 ");             /* 3 joined on day 10 */
    expect_at(f, 22, "main=1 new=2 prospect=1 ");      /* 1 main since 15; 4 joined 20, new since 21 */
    expect_at(f, 26, "main=1 new=1 prospect=1 ");      /* 4 erased on day 25 */
    expect_at(f, 31, "at_risk=1 main=1 prospect=1 "); /* of two moves at one instant, the later row counts */
}

/* The one-pass series agrees with the count at each instant, day by day over the whole history. */
static void test_classes_series_agrees_with_each_instant(void **state)
{
    fixture *f = *state;
    static const char *const classes[] = {"prospect", "new", "main", "occasional", "at_risk", "lapsed"};
    enum { DAYS = 36, K = 6 };
    int64_t ends[DAYS], counts[DAYS * K];
    for (int d = 0; d < DAYS; d++)
        ends[d] = T0 + d * DAY_MS + (d % 3) * 3600000; /* some ends between the events' instants */
    assert_int_equal(store_report_classes_series(f->r, ends, DAYS, classes, K, counts), STORE_OK);
    for (int d = 0; d < DAYS; d++) {
        char want[256] = "", got[256] = "";
        assert_int_equal(store_report_classes_at(f->r, ends[d], add, want), STORE_OK);
        static const int order[K] = {4, 5, 2, 1, 3, 0}; /* name order, as classes_at lists them */
        for (int j = 0; j < K; j++)
            if (counts[d * K + order[j]])
                add(classes[order[j]], counts[d * K + order[j]], got);
        if (strcmp(got, want) != 0)
            fail_msg("end %d: series \"%s\", at the instant \"%s\"", d, got, want);
    }
}

static void test_classes_now_read_the_member_rows(void **state)
{
    fixture *f = *state;
    char got[256] = "";
    assert_int_equal(store_report_classes_now(f->r, add, got), STORE_OK);
    assert_string_equal(got, "at_risk=1 main=1 prospect=1 ");
}

static void test_figures_from_the_member_rows(void **state)
{
    fixture *f = *state;
    store_figures g;
    assert_int_equal(store_report_figures(f->r, T0 + 40 * DAY_MS, NULL, &g), STORE_OK);
    assert_int_equal(g.members, 3);
    assert_int_equal(g.buyers, 2);
    assert_int_equal(g.repeat_buyers, 1);
    assert_int_equal(g.active_30, 1);  /* member 1 bought on day 15, member 2 on day 5 */
    assert_int_equal(g.active_90, 2);
    assert_int_equal(g.spend_minor, 1000);
    assert_int_equal(g.earners, 2);
    assert_int_equal(g.points_outstanding, 55);
    assert_int_equal(g.redeemers, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_classes_at_an_instant_follow_the_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_classes_series_agrees_with_each_instant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_classes_now_read_the_member_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_figures_from_the_member_rows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
