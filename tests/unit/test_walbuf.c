/*
 * test_walbuf.c: unit tests for src/store/walbuf.c, the write connection's VFS that writes a transaction's WAL
 * frames in one go: what a connection through it commits is in the WAL file for another connection (default VFS)
 * at once, for transactions of every size (one frame, a buffer's worth, several buffers, counts that are
 * multiples of 128 KiB), when its cache spills frames mid-transaction and reads them back, and after a rollback;
 * and the savepoint journals it keeps in memory.
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

#include "store/internal.h"

typedef struct fixture {
    char dir[64], path[128];
    sqlite3 *w; /* through the walbuf VFS */
    sqlite3 *r; /* default VFS */
} fixture;

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/bashgah-walbuf-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    const char *vfs = store_walbuf_vfs();
    if (!vfs || sqlite3_open_v2(f->path, &f->w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) != SQLITE_OK ||
        sqlite3_open_v2(f->path, &f->r, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return -1;
    exec_ok(f->w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;"
                  "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sqlite3_close(f->r);
    sqlite3_close(f->w);
    char path[160];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", f->path, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Inserts n rows of size bytes each in one transaction through the walbuf connection. */
static void insert_rows(sqlite3 *db, int n, int size)
{
    sqlite3_stmt *st = NULL;
    exec_ok(db, "BEGIN IMMEDIATE");
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t (b) VALUES (zeroblob(?))", -1, &st, NULL), SQLITE_OK);
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int(st, 1, size);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec_ok(db, "COMMIT");
}

static void test_every_commit_is_seen_by_another_connection(void **state)
{
    fixture *f = *state;
    /* Rows of about a page each: 1 row, about 32 frames (128 KiB), 300 (past one buffer), 1000 (several). */
    const int counts[] = {1, 31, 32, 33, 300, 1000, 7};
    int64_t total = 0;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        insert_rows(f->w, counts[i], 3000);
        total += counts[i];
        assert_int_equal(query_int(f->r, "SELECT count(*) FROM t"), total);
        assert_int_equal(query_int(f->r, "SELECT sum(length(b)) FROM t"), total * 3000);
    }
}

static void test_spilled_frames_are_read_back_in_the_transaction(void **state)
{
    fixture *f = *state;
    /* A cache of a few pages: the transaction spills frames to the WAL and reads them again before it commits. */
    exec_ok(f->w, "PRAGMA cache_size=8");
    exec_ok(f->w, "BEGIN IMMEDIATE");
    exec_ok(f->w, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                  "INSERT INTO t (id, b) SELECT i, randomblob(500) FROM n");
    exec_ok(f->w, "UPDATE t SET b = zeroblob(700) WHERE id % 3 = 0");
    assert_int_equal(query_int(f->w, "SELECT sum(length(b)) FROM t"), 666 * 700 + 1334 * 500);
    exec_ok(f->w, "COMMIT");
    assert_int_equal(query_int(f->r, "SELECT sum(length(b)) FROM t"), 666 * 700 + 1334 * 500);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->r, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

static void test_a_rollback_leaves_the_last_commit(void **state)
{
    fixture *f = *state;
    insert_rows(f->w, 10, 100);
    exec_ok(f->w, "BEGIN IMMEDIATE; INSERT INTO t (b) VALUES (zeroblob(5000)); ROLLBACK");
    insert_rows(f->w, 5, 100);
    assert_int_equal(query_int(f->r, "SELECT count(*) FROM t"), 15);
    assert_int_equal(query_int(f->r, "SELECT max(length(b)) FROM t"), 100);
}

/* The writer's savepoint journals: past 64 KiB SQLite moves one into a file opened through the VFS, which walbuf.c
 * keeps in memory. A savepoint rolled back there restores every page, a released one keeps its work, and the
 * buffer serves the next transaction the same way. */
static void test_savepoint_journals_past_64_kib_roll_back_exactly(void **state)
{
    fixture *f = *state;
    insert_rows(f->w, 400, 3000); /* a page each */
    const int64_t kept = 100 * 2000 + 300 * 3000;
    for (int round = 0; round < 2; round++) {
        exec_ok(f->w, "BEGIN IMMEDIATE");
        exec_ok(f->w, "SAVEPOINT kept; UPDATE t SET b = zeroblob(2000) WHERE id % 4 = 0; RELEASE kept"); /* ~400 KiB */
        exec_ok(f->w, "SAVEPOINT job; UPDATE t SET b = zeroblob(1000) WHERE id % 4 != 0");             /* ~1.2 MiB */
        assert_int_equal(query_int(f->w, "SELECT sum(length(b)) FROM t"), 100 * 2000 + 300 * 1000);
        exec_ok(f->w, "ROLLBACK TO job; RELEASE job");
        assert_int_equal(query_int(f->w, "SELECT sum(length(b)) FROM t"), kept);
        exec_ok(f->w, "SAVEPOINT small; UPDATE t SET b = zeroblob(10) WHERE id = 2; ROLLBACK TO small; RELEASE small");
        exec_ok(f->w, "COMMIT");
        assert_int_equal(query_int(f->r, "SELECT sum(length(b)) FROM t"), kept);
        assert_int_equal(query_int(f->r, "SELECT count(*) FROM t WHERE length(b) = 3000"), 300);
    }
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(f->r, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_every_commit_is_seen_by_another_connection),
        T(test_spilled_frames_are_read_back_in_the_transaction),
        T(test_a_rollback_leaves_the_last_commit),
        T(test_savepoint_journals_past_64_kib_roll_back_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
