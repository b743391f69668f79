/* The SQLite store: opening the database, migrations, per-thread readers, online backup.
 * Every connection runs in WAL mode with synchronous=FULL, so a committed write survives a crash or power loss,
 * and readers never block the writer. */
#include "store/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread.h"
#include "store/migrations.h"

#define BUSY_TIMEOUT_MS 10000
#define CACHE_KIB_TEXT "-65536" /* 64 MiB per connection (negative: KiB) */
/* The import's writer cache: big enough for the pages one chunk dirties in a database of millions of members,
 * so they are written once at commit rather than spilled into the WAL mid-transaction. */
#define IMPORT_CACHE_KIB_TEXT "-1048576" /* 1 GiB */
/* The same when the import fills an empty members table with its indexes set aside: a chunk then dirties new
 * pages at the table's end (and the name index's and consent_events' ends), about 15 MiB for 50,000 rows, and no
 * page is read again; a larger cache only keeps every page the import ever wrote, each one a page of memory the
 * kernel must hand over and clear (measured on 1M rows: 1 GiB took 122,000 page faults and 0.5 s more system
 * time than this, and the import 0.7 s longer). */
#define IMPORT_BULK_CACHE_KIB_TEXT "-32768" /* 32 MiB */
/* While the set-aside indexes are built (store_import_end): the page cache, which is also each sorted run, and
 * how much of the database file is read through a memory map. Runs of 4 MiB rather than 16: each is sorted
 * while it is still in the processor's caches, and the second thread starts sooner (measured on 1M members: the
 * eight builds from 6.3 s to 5.1 s; 2 MiB and 1 MiB were no better). */
#define BUILD_CACHE_KIB_TEXT "-4096"          /* 4 MiB */
#define IMPORT_MMAP_BYTES_TEXT "2147418112" /* SQLite's own ceiling (SQLITE_MAX_MMAP_SIZE) */
/* Pages of WAL that trigger an automatic checkpoint outside imports (SQLite's default). */
#define WAL_AUTOCHECKPOINT_PAGES_TEXT "1000"

int store_conn_open(store_conn *c, const char *path, char *err, size_t errlen)
{
    return store_conn_open_vfs(c, path, NULL, err, errlen);
}

int store_conn_open_vfs(store_conn *c, const char *path, const char *vfs, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        c->db = NULL;
        return STORE_ERROR;
    }
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->db, 1);
    char *msg = NULL;
    rc = sqlite3_exec(c->db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                      "PRAGMA cache_size=" CACHE_KIB_TEXT ";",
                      NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot configure %s: %s", path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        store_conn_close(c);
        return STORE_ERROR;
    }
    return STORE_OK;
}

void store_conn_close(store_conn *c)
{
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    sqlite3_close(c->db);
    memset(c, 0, sizeof(*c));
}

/* The cached statement idx, prepared on first use. */
static sqlite3_stmt *stmt_get(store_conn *c, int idx, const char *sql)
{
    sqlite3_stmt *st = c->stmts[idx];
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
    }
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_msg(LOG_ERROR, "sql_prepare", "error=\"%s\" sql=\"%.80s\"", sqlite3_errmsg(c->db), sql);
        return NULL;
    }
    c->stmts[idx] = st;
    return st;
}

static bool held_renew(store_conn *c);

sqlite3_stmt *store_stmt(store_conn *c, int idx, const char *sql)
{
    if (c->wal_header) {
        if (c->stmts[idx])
            sqlite3_reset(c->stmts[idx]); /* a run left stepping must not keep an old snapshot for this one */
        held_renew(c);
    }
    return stmt_get(c, idx, sql);
}

sqlite3_stmt *store_prepare(store_conn *c, const char *sql)
{
    if (c->wal_header)
        held_renew(c); /* as store_stmt: a held read sees every commit finished before it */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_msg(LOG_ERROR, "sql_prepare", "error=\"%s\" sql=\"%.80s\"", sqlite3_errmsg(c->db), sql);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

int store_get_by_id(store_conn *c, const char *sql, int64_t id, void (*from_row)(sqlite3_stmt *st, void *out),
                    void *out, const char *what)
{
    sqlite3_stmt *st = store_prepare(c, sql);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        from_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOTFOUND : store_status_of(c, rc, what);
}

int store_status_of(store_conn *c, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return STORE_OK;
    case SQLITE_CONSTRAINT:
        return STORE_CONFLICT;
    default:
        log_msg(LOG_ERROR, "sql_error", "what=%s rc=%d error=\"%s\"", what, rc, sqlite3_errmsg(c->db));
        return STORE_ERROR;
    }
}

void store_bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && s[0])
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

void store_column_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    if (cap == 0)
        return;
    const char *t = (const char *)sqlite3_column_text(st, i);
    /* What snprintf("%s") would copy (up to a NUL, cut to cap - 1), without its format machinery: a member row
     * copies a dozen columns. */
    size_t n = t ? strnlen(t, cap - 1) : 0;
    memcpy(dst, t ? t : "", n);
    dst[n] = '\0';
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first row of a query of one text column, copied into a fresh sqlite3 string (NULL when there is none). */
static char *first_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        out = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

/* Rows of PRAGMA foreign_key_check: a reference a migration broke. Returns 0 when there are none. */
static int broken_references(sqlite3 *db, char **msg)
{
    char *row = first_text(db, "SELECT \"table\" || ' row ' || rowid || ' names a missing ' || parent "
                               "FROM pragma_foreign_key_check");
    if (!row)
        return 0;
    *msg = sqlite3_mprintf("a reference is broken: %s", row);
    sqlite3_free(row);
    return -1;
}

/* Applies each migration past user_version in its own transaction. Foreign keys are off meanwhile, as SQLite's
 * own procedure for changing a table asks: a parent table rebuilt under its children (0021: members) is
 * dropped without its rows being deleted first; each migration ends with a check of every reference instead. */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
    int v = user_version(db);
    if (v > store_migrations_count) {
        snprintf(err, errlen, "the database is at schema %d, newer than this program (%d)", v, store_migrations_count);
        return STORE_ERROR;
    }
    if (v < store_migrations_count)
        sqlite3_exec(db, "PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
    int status = STORE_OK;
    for (int i = v; i < store_migrations_count && status == STORE_OK; i++) {
        char *msg = NULL, pragma[64];
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", i + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, store_migrations[i].sql, NULL, NULL, &msg) != SQLITE_OK || broken_references(db, &msg) ||
            sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "migration %s failed: %s", store_migrations[i].name, msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            status = STORE_ERROR;
        } else {
            log_msg(LOG_INFO, "migrated", "migration=%s version=%d", store_migrations[i].name, i + 1);
        }
    }
    if (v < store_migrations_count)
        sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
    return status;
}

/* ---- indexes set aside by an import ----
 * Keeping a dozen secondary indexes of members up to date costs every inserted row a B-tree descent and a page
 * write in each; building one at the end is a single sort of the whole table. So an import into an empty members
 * table drops them and builds them again when it is done. Each dropped index's CREATE statement is recorded in
 * pending_indexes in the transaction that drops it, and deleted in the one that builds it again, so no crash
 * can lose one: store_open builds whatever is still recorded. The unique ones (external_ref, phone, email) are how
 * an import finds a row's member and reports a duplicate, so they are set aside only for an import that can do
 * without them until it calls store_tx_import_keys_build (store.h: keys_aside). */

/* Runs sql, a statement built by sqlite3_mprintf (freed here; NULL is out of memory). */
static int exec_owned(sqlite3 *db, char *sql, char **msg)
{
    int rc = sql ? sqlite3_exec(db, sql, NULL, NULL, msg) : SQLITE_NOMEM;
    sqlite3_free(sql);
    return rc;
}

/* Builds every index recorded in pending_indexes and deletes its row, each in a transaction of its own (so a
 * checkpoint can copy one index while the next is built). */
static int pending_indexes_build(sqlite3 *db, char *err, size_t errlen)
{
    char *msg = NULL, *name = NULL;
    int rc = SQLITE_OK;
    while (rc == SQLITE_OK && (name = first_text(db, "SELECT name FROM pending_indexes ORDER BY name LIMIT 1"))) {
        rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
        /* Absent from sqlite_schema unless a build was committed without its DELETE, which one transaction rules
         * out; checked anyway, as CREATE INDEX of an existing name fails. */
        char *sql = sqlite3_mprintf("SELECT sql FROM pending_indexes WHERE name = %Q AND NOT EXISTS (SELECT 1 FROM "
                                    "sqlite_schema WHERE type = 'index' AND name = %Q)",
                                    name, name);
        char *create = rc == SQLITE_OK && sql ? first_text(db, sql) : NULL;
        sqlite3_free(sql);
        if (create) {
            uint64_t start = clock_mono_ns();
            rc = sqlite3_exec(db, create, NULL, NULL, &msg);
            sqlite3_free(create);
            log_msg(LOG_INFO, "index_build", "index=%s ms=%llu", name,
                    (unsigned long long)((clock_mono_ns() - start) / 1000000u));
        }
        if (rc == SQLITE_OK)
            rc = exec_owned(db, sqlite3_mprintf("DELETE FROM pending_indexes WHERE name = %Q", name), &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
        sqlite3_free(name);
    }
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot build the indexes an import set aside: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return STORE_ERROR;
    }
    return STORE_OK;
}

#define UNIQUE_PENDING "sql LIKE 'CREATE UNIQUE %'"
/* The indexes of members an import sets aside: all but the partial ones (a WHERE clause), which hold the few rows
 * that match (members_tier_review: those with a tier review date, which no imported row has), so keeping them up
 * to date costs the import next to nothing, while building one again would read the whole table. */
#define SET_ASIDE "type = 'index' AND tbl_name = 'members' AND sql IS NOT NULL AND sql NOT LIKE '% WHERE %'"

/* When members is empty: records and drops its indexes, in one transaction; the unique ones too when keys_aside
 * is not NULL, and then *keys_aside tells whether they were. */
static int pending_indexes_drop(sqlite3 *db, bool *keys_aside)
{
    char *msg = NULL, *name = NULL;
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
    char *any = rc == SQLITE_OK ? first_text(db, "SELECT 1 FROM members LIMIT 1") : NULL;
    if (rc == SQLITE_OK && !any)
        rc = sqlite3_exec(db,
                          keys_aside ? "INSERT OR REPLACE INTO pending_indexes (name, sql) SELECT name, sql FROM "
                                       "sqlite_schema WHERE " SET_ASIDE
                                     : "INSERT OR REPLACE INTO pending_indexes (name, sql) SELECT name, sql FROM "
                                       "sqlite_schema WHERE " SET_ASIDE " AND NOT " UNIQUE_PENDING,
                          NULL, NULL, &msg);
    sqlite3_free(any);
    if (keys_aside) {
        char *aside = rc == SQLITE_OK ? first_text(db, "SELECT 1 FROM pending_indexes WHERE " UNIQUE_PENDING) : NULL;
        *keys_aside = aside != NULL;
        sqlite3_free(aside);
    }
    while (rc == SQLITE_OK && (name = first_text(db, "SELECT p.name FROM pending_indexes p JOIN sqlite_schema s "
                                                     "ON s.type = 'index' AND s.name = p.name LIMIT 1"))) {
        rc = exec_owned(db, sqlite3_mprintf("DROP INDEX \"%w\"", name), &msg);
        sqlite3_free(name);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        log_msg(LOG_WARN, "index_drop", "error=\"%s\"", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        if (keys_aside)
            *keys_aside = false;
        return STORE_ERROR;
    }
    return STORE_OK;
}

/* Process-wide SQLite settings, before its first use: every connection belongs to one thread (the writer or a
 * loop), so SQLite's own connection mutexes and its allocation statistics (a global lock) are not needed. A
 * statement journal goes straight to its VFS instead of SQLite's memory first: the writer's VFS keeps it in a
 * buffer (walbuf.c), so the copy of the first 64 KiB from one to the other is saved (measured: 17,000
 * instructions a purchase); the other connections only read. */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 0);
    sqlite3_initialize();
}

int store_open(store **out, const char *data_dir, char *err, size_t errlen)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    *out = NULL;
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data directory %s: %s", data_dir, strerror(errno));
        return STORE_ERROR;
    }
    store *s = calloc(1, sizeof(*s));
    size_t n = strlen(data_dir) + sizeof("/bashgah.db");
    s->path = malloc(n);
    snprintf(s->path, n, "%s/bashgah.db", data_dir);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    /* The writer's frames go to the WAL in one write per transaction (walbuf.c). Its statement journal (the pages
     * each job's SAVEPOINT may have to restore) stays in memory too: SQLite opens it as a file (see sqlite_setup)
     * that walbuf.c keeps in one buffer, reused from job to job (with temp_store=MEMORY it would be
     * kept in 1 KiB pieces, a malloc each when written and a free each when the job ends: measured, 71,000 of
     * a purchase's 452,000 writer instructions). */
    if (store_conn_open_vfs(&s->writer_tx.conn, s->path, store_walbuf_vfs(), err, errlen) != STORE_OK ||
        migrate(s->writer_tx.conn.db, err, errlen) != STORE_OK ||
        pending_indexes_build(s->writer_tx.conn.db, err, errlen) != STORE_OK) {
        store_close(s);
        return STORE_ERROR;
    }
    *out = s;
    return STORE_OK;
}

/* ---- the import's copier ----
 * While an import writes its chunks, a thread of its own copies each committed chunk from the WAL into the
 * database on a second connection (a PASSIVE checkpoint never blocks the writer): that work (page copies and the
 * database's fsync) runs on another core instead of after the last chunk, and once a checkpoint has copied the
 * whole WAL the writer's next transaction starts it again from the beginning, so the WAL stays about one chunk
 * long instead of holding the whole import. */

#define IMPORT_COPY_EVERY_MS 50

struct import_copier {
    store_conn conn;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};

static void *import_copier_main(void *arg)
{
    struct import_copier *ic = arg;
    pthread_mutex_lock(&ic->lock);
    while (!ic->stopping) {
        pthread_mutex_unlock(&ic->lock);
        sqlite3_wal_checkpoint_v2(ic->conn.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&ic->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += IMPORT_COPY_EVERY_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (!ic->stopping)
            pthread_cond_timedwait(&ic->wake, &ic->lock, &until);
    }
    pthread_mutex_unlock(&ic->lock);
    return NULL;
}

/* Starts the copier; without it (no connection or thread) the import only copies at its end. */
static void import_copier_start(store *s)
{
    char err[256];
    struct import_copier *ic = calloc(1, sizeof(*ic));
    if (!ic)
        return;
    if (store_conn_open(&ic->conn, s->path, err, sizeof(err)) != STORE_OK) {
        free(ic);
        return;
    }
    pthread_mutex_init(&ic->lock, NULL);
    pthread_cond_init(&ic->wake, NULL);
    if (pthread_create(&ic->thread, NULL, import_copier_main, ic) != 0) {
        pthread_cond_destroy(&ic->wake);
        pthread_mutex_destroy(&ic->lock);
        store_conn_close(&ic->conn);
        free(ic);
        return;
    }
    thread_name(ic->thread, "copy", -1);
    s->import_copier = ic;
}

static void import_copier_stop(store *s)
{
    struct import_copier *ic = s->import_copier;
    if (!ic)
        return;
    pthread_mutex_lock(&ic->lock);
    ic->stopping = true;
    pthread_cond_signal(&ic->wake);
    pthread_mutex_unlock(&ic->lock);
    pthread_join(ic->thread, NULL);
    pthread_cond_destroy(&ic->wake);
    pthread_mutex_destroy(&ic->lock);
    store_conn_close(&ic->conn);
    free(ic);
    s->import_copier = NULL;
}

/* Foreign keys are not checked during the import (on this connection only; store_import_end checks them again
 * for what follows): its only rows that reference another table are consent_events of the member the same row
 * has just inserted or found, so the check (a lookup of the member per consent row) could never fail. */
int store_import_begin(store *s, bool *keys_aside)
{
    store_conn *c = &s->writer_tx.conn;
    if (keys_aside)
        *keys_aside = false;
    int rc = sqlite3_exec(c->db,
                          "PRAGMA cache_size=" IMPORT_CACHE_KIB_TEXT "; PRAGMA wal_autocheckpoint=0; "
                          "PRAGMA temp_store=MEMORY; PRAGMA foreign_keys=OFF;",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return store_status_of(c, rc, "import begin");
    bool aside = false;
    int status = pending_indexes_drop(c->db, keys_aside ? &aside : NULL);
    s->writer_tx.import_keys_aside = aside;
    s->writer_tx.import_stats_later = true;
    if (keys_aside)
        *keys_aside = aside;
    char *bulk = first_text(c->db, "SELECT 1 FROM pending_indexes LIMIT 1");
    if (bulk)
        sqlite3_exec(c->db, "PRAGMA cache_size=" IMPORT_BULK_CACHE_KIB_TEXT, NULL, NULL, NULL);
    sqlite3_free(bulk);
    import_copier_start(s);
    return status;
}

int store_tx_import_keys_build(store_tx *tx)
{
    sqlite3 *db = tx->conn.db;
    bool importing = tx->import_keys_aside; /* else a server's member write (members.c, keys_guard) */
    char *msg = NULL, *name;
    int rc = SQLITE_OK;
    while (rc == SQLITE_OK && (name = first_text(db, "SELECT name FROM pending_indexes WHERE " UNIQUE_PENDING
                                                     " ORDER BY name LIMIT 1"))) {
        char *sql = sqlite3_mprintf("SELECT sql FROM pending_indexes WHERE name = %Q", name);
        char *create = sql ? first_text(db, sql) : NULL;
        sqlite3_free(sql);
        log_msg(LOG_INFO, "index_build", "index=%s during=import", name);
        rc = create ? sqlite3_exec(db, create, NULL, NULL, &msg) : SQLITE_NOMEM;
        sqlite3_free(create);
        if (rc == SQLITE_OK)
            rc = exec_owned(db, sqlite3_mprintf("DELETE FROM pending_indexes WHERE name = %Q", name), &msg);
        sqlite3_free(name);
    }
    if (rc != SQLITE_OK)
        log_msg(LOG_ERROR, "index_build", "error=\"%s\"", msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    if (rc == SQLITE_OK && importing) {
        tx->import_keys_aside = false;
        /* From here the import's rows are matched through the unique indexes, at random places: its full cache.
         * Only the import's: a server's writer keeps its own small cache (writer.c says why it is small). */
        sqlite3_exec(db, "PRAGMA cache_size=" IMPORT_CACHE_KIB_TEXT, NULL, NULL, NULL);
    }
    return rc == SQLITE_OK ? STORE_OK : STORE_ERROR;
}

/* How the set-aside indexes are built (each CREATE INDEX reads the whole members table and sorts a key per row):
 * from a WAL made empty first, so the table is read through a memory map of the database file (no page copies,
 * no lookups in the WAL's index); with a small page cache, which is also the size of each sorted run, so the
 * sort is cut into runs that a second thread sorts while this one reads on (threads=2, runs in temporary files
 * rather than in memory: SQLite sorts in one thread, and allocates each key apart, when it keeps them in memory). */
#define BUILD_PRAGMAS                                                                                              \
    "PRAGMA mmap_size=" IMPORT_MMAP_BYTES_TEXT "; PRAGMA cache_size=" BUILD_CACHE_KIB_TEXT "; PRAGMA threads=2; "    \
    "PRAGMA temp_store=FILE;"
#define AFTER_BUILD_PRAGMAS "PRAGMA mmap_size=0; PRAGMA threads=0; PRAGMA temp_store=DEFAULT;"

int store_import_end(store *s)
{
    store_conn *c = &s->writer_tx.conn;
    char err[256];
    /* The copier has copied all but the last chunks; what is left is copied here, and the WAL emptied. Then the
     * copier copies each index as it is committed, while the next is built. */
    import_copier_stop(s);
    s->writer_tx.import_keys_aside = false; /* built below with the others */
    s->writer_tx.import_stats_later = false;
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_msg(LOG_WARN, "import_checkpoint", "error=\"%s\"", sqlite3_errmsg(c->db));
    sqlite3_exec(c->db, BUILD_PRAGMAS, NULL, NULL, NULL);
    import_copier_start(s);
    int built = pending_indexes_build(c->db, err, sizeof(err));
    if (built != STORE_OK)
        log_msg(LOG_ERROR, "index_build", "error=\"%s\"", err);
    import_copier_stop(s);
    rc = sqlite3_exec(c->db,
                      AFTER_BUILD_PRAGMAS " PRAGMA wal_autocheckpoint=" WAL_AUTOCHECKPOINT_PAGES_TEXT
                                          "; PRAGMA cache_size=" CACHE_KIB_TEXT "; PRAGMA foreign_keys=ON;",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return store_status_of(c, rc, "import end");
    /* A reader still on an old snapshot makes the checkpoint stop short (SQLITE_BUSY): the WAL then stays until
     * the next checkpoint, which is no loss. */
    rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (built != STORE_OK)
        return STORE_ERROR;
    return rc == SQLITE_BUSY ? STORE_OK : store_status_of(c, rc, "import checkpoint");
}

int store_schema_version(store *s) { return user_version(s->writer_tx.conn.db); }

store_reader *store_reader_open(store *s)
{
    store_reader *r = calloc(1, sizeof(*r));
    char err[256];
    if (store_conn_open(&r->conn, s->path, err, sizeof(err)) != STORE_OK) {
        log_msg(LOG_ERROR, "reader_open", "error=\"%s\"", err);
        free(r);
        return NULL;
    }
    /* No mmap_size: SQLite unmaps the whole mapping whenever a read transaction finds the database changed, so
     * under writes every read after a commit paid munmap, mmap and a page fault per page (measured with 1M members
     * and purchases alongside: GETs at a quarter of the rate, loops at five times the CPU per request). */
    return r;
}

void store_reader_close(store_reader *r)
{
    if (!r)
        return;
    store_reader_release(r);
    store_conn_close(&r->conn);
    free(r);
}

/* ---- held read transactions ----
 * A statement outside a transaction is a read transaction of its own: SQLite takes a read lock in the WAL's
 * shared memory (an fcntl lock, other processes share the file, under a mutex this process's connections share)
 * and gives it back when the statement ends. For a loop answering GETs that was most of a request's kernel time:
 * two locks and two unlocks (the API key, the member), each a system call and a contended mutex. A held reader
 * keeps one transaction across statements and requests instead, and the loop ends it before it waits.
 *
 * Why a held snapshot never hides a write: a reader must see every commit that finished before its statement
 * began (a client that saw its write acknowledged, or a `bashgah apikey revoke` in another process return, must
 * see it in its next request). Every commit, by any connection of any process, rewrites the WAL-index header in
 * the shared memory before it returns (its iChange counter goes up by one, with the frame count, salts and
 * checksums: walformat.html); SQLite itself decides whether a new transaction sees a new snapshot by comparing
 * that header with its last copy. Before each statement a held reader compares the live header with the copy it
 * took just before its transaction began: equal means no commit has finished since then, so the snapshot is still
 * the newest; different means it ends the transaction and begins a new one. The copy is taken before BEGIN, so a
 * commit in between costs one more renewal, never a stale read. A statement still stepping (a read inside
 * another's loop) keeps the transaction until it is done, as it would without holding. */

#define WAL_INDEX_VERSION 3007000u   /* WalIndexHdr.iVersion */
#define WAL_INDEX_REGION_BYTES 32768 /* the size in which SQLite maps the shared memory */

static void held_step(store_conn *c, int idx, const char *sql)
{
    sqlite3_stmt *st = stmt_get(c, idx, sql);
    if (!st)
        return;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    store_status_of(c, rc, sql);
}

static bool conn_stepping(store_conn *c)
{
    for (sqlite3_stmt *st = sqlite3_next_stmt(c->db, NULL); st; st = sqlite3_next_stmt(c->db, st))
        if (sqlite3_stmt_busy(st))
            return true;
    return false;
}

/* Renews c's transaction when a commit has finished since it began; false when that had to wait (a statement
 * still steps in the old one). */
static bool held_renew(store_conn *c)
{
    uint32_t now[STORE_WAL_HEADER_WORDS];
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* read after what led here (a request's bytes), not before */
    for (int i = 0; i < STORE_WAL_HEADER_WORDS; i++)
        now[i] = c->wal_header[i];
    bool changed = memcmp(now, c->wal_header_seen, sizeof(now)) != 0;
    if (!sqlite3_get_autocommit(c->db)) {
        if (!changed)
            return true;
        if (conn_stepping(c))
            return false;
        held_step(c, STMT_READ_END, "COMMIT");
    }
    if (changed) {
        memcpy(c->wal_header_seen, now, sizeof(now));
        c->version++;
    }
    held_step(c, STMT_READ_BEGIN, "BEGIN");
    return true;
}

/* The WAL-index header of c's database, mapped by SQLite itself (the VFS's xShmMap, region 0); NULL when there
 * is no shared memory or the header is not one this code knows. */
static const volatile uint32_t *wal_header_map(store_conn *c)
{
    sqlite3_file *f = NULL;
    volatile void *region = NULL;
    /* A first read opens the WAL and maps its shared memory. */
    if (sqlite3_exec(c->db, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_file_control(c->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f || !f->pMethods ||
        f->pMethods->iVersion < 2 || !f->pMethods->xShmMap ||
        f->pMethods->xShmMap(f, 0, WAL_INDEX_REGION_BYTES, 0, &region) != SQLITE_OK || !region)
        return NULL;
    const volatile uint32_t *h = region;
    bool initialised = ((const volatile uint8_t *)region)[12] == 1; /* WalIndexHdr.isInit */
    return h[0] == WAL_INDEX_VERSION && initialised ? h : NULL;
}

void store_reader_hold(store_reader *r)
{
    store_conn *c = &r->conn;
    c->wal_header = wal_header_map(c);
    if (!c->wal_header)
        log_msg(LOG_WARN, "reader_hold", "reason=\"no WAL shared memory to watch: each read takes its own lock\"");
}

uint64_t store_reader_version(store_reader *r)
{
    store_conn *c = &r->conn;
    if (!c->wal_header)
        return 0;
    return held_renew(c) ? c->version : 0; /* the database as it is now, as the next statement reads it */
}

void store_reader_release(store_reader *r)
{
    store_conn *c = &r->conn;
    if (!c->wal_header || sqlite3_get_autocommit(c->db))
        return;
    /* Nothing of the loop's work is running now: a statement left stepping is done with. */
    for (sqlite3_stmt *st = sqlite3_next_stmt(c->db, NULL); st; st = sqlite3_next_stmt(c->db, st))
        if (sqlite3_stmt_busy(st))
            sqlite3_reset(st);
    held_step(c, STMT_READ_END, "COMMIT");
}

int64_t store_db_size_bytes(store_reader *r)
{
    sqlite3_stmt *st = store_stmt(&r->conn, STMT_PAGE_COUNT,
                                  "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    int64_t size = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    if (st)
        sqlite3_reset(st);
    return size;
}

int store_backup(store *s, const char *path, char *err, size_t errlen)
{
    sqlite3 *dst = NULL;
    store_conn src;
    if (store_conn_open(&src, s->path, err, errlen) != STORE_OK)
        return STORE_ERROR;
    int rc = sqlite3_open(path, &dst);
    sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", src.db, "main") : NULL;
    if (!b) {
        snprintf(err, errlen, "cannot write %s: %s", path, sqlite3_errmsg(dst));
        sqlite3_close(dst);
        store_conn_close(&src);
        return STORE_ERROR;
    }
    /* Copy in steps so the server's writer is never held up for long; a write in between restarts the copy. */
    do {
        rc = sqlite3_backup_step(b, 256);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    int status = rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
    if (status != STORE_OK)
        snprintf(err, errlen, "backup failed: %s", sqlite3_errmsg(dst));
    sqlite3_close(dst);
    store_conn_close(&src);
    return status;
}
