/* The writer: one thread per database that owns the write connection. It runs the queued jobs in one
 * transaction with a SAVEPOINT each, taking the jobs that arrive meanwhile until the syncer is ready for a commit
 * (at most STORE_BATCH_MAX; see writer_main), commits once (one fsync for the batch: group commit), and only then
 * reports each job done. Invariant: done() is never
 * called for a job whose effects are not durable, and a failed job leaves nothing behind.
 * In the server the commit itself does not wait for the disk: the writer connection runs with synchronous=NORMAL
 * (in WAL mode: no fsync at commit, checkpoints still sync) and hands each committed batch to the syncer thread,
 * which fsyncs the WAL file and only then calls done() for the batch's jobs, while the writer already runs the
 * next batch. One fsync covers every batch committed before it started (the WAL is append-only), so an answer
 * still never leaves before its commit is on disk. What changes: a reader may see a commit for the few
 * milliseconds its fsync takes; a crash in that window loses it, but no one was told it was kept.
 * Next to it runs the checkpointer: a thread with its own connection that copies the WAL back into the database
 * (a PASSIVE checkpoint, which never blocks the writer) once the writer's commits have grown the WAL past
 * CHECKPOINT_PAGES (the writer finishes it past WAL_PAGES_MAX; see on_wal_commit). SQLite would otherwise run
 * the whole checkpoint inside the commit that crosses its threshold, stalling the writer, and every job waiting
 * for it, on the database file's writes and fsync.
 * A PASSIVE pass that the writer's commits overtake never syncs the database file (SQLite syncs it only when a
 * pass copies the whole WAL), so the pages of a whole WAL's worth of passes would wait in the OS cache for the
 * one sync that the writer's own last pass makes: measured, 110 to 370 ms, every job waiting meanwhile. So the
 * passes the writer asks for near the WAL's end flush the database file themselves (see checkpoint_flush), and
 * the writer's sync finds little left to write. */
#include "store/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread.h"

#define WRITER_MMAP_BYTES_TEXT "4294967296" /* 4 GiB of the database mapped on the writer's connection */
/* The writer's page cache holds what a batch changes, not what it reads (read through the mapping): 16 MiB is
 * about 1,500 purchases' pages. Larger costs every commit: SQLite's page cache then walks its whole hash table of
 * pages (pcache1TruncateUnsafe, from pager_end_transaction), whose size follows the most pages the cache ever
 * held. Measured under the purchase load with 64 MiB: a fifth of the writer's time in that walk, and about 115
 * microseconds of user time per purchase in the whole server against 80-100 with 16 MiB. */
#define WRITER_CACHE_KIB_TEXT "-16384"
/* A checkpoint copies each page the frames since the last one changed once, however many frames changed it: so the
 * fewer checkpoints, the fewer writes of the pages every batch changes (the ends of the tables and of the indexes
 * by time, the club's account). Measured under the purchase load at 64 connections, bytes written to the database
 * per purchase: 76 KB with 2000/1000/4000 frames, 38 KB with 8000/4000/16000, 23 KB with the values below (the
 * WAL's own writes: 45 KB); the WAL file then grows to 150-300 MB (36000-72000 frames of 4 KiB), then starts again.
 * WAL_PAGES_MAX is not a multiple of the step, so that the writer's own checkpoint (see on_wal_commit) comes
 * between two of the checkpointer's and has only the frames since the last one to copy. */
#define CHECKPOINT_PAGES 16000      /* WAL frames (64 MiB of 4 KiB pages) before the checkpointer runs */
#define CHECKPOINT_STEP_PAGES 8000  /* new WAL frames between two wake-ups of the checkpointer */
#define WAL_PAGES_MAX 36000         /* WAL frames before the writer finishes the checkpoint itself */
#define WAL_TAIL_PAGES 1000         /* ... when at most this many are left to copy (see on_wal_commit) */
#define WAL_PAGES_HARD_MAX 72000    /* ... or at once */

static int exec_simple(store_conn *c, const char *sql)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return store_status_of(c, rc, sql);
}

int store_tx_savepoint(store_tx *tx)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_SAVEPOINT, "SAVEPOINT job");
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (rc == SQLITE_DONE)
        tx->depth++;
    return store_status_of(&tx->conn, rc, "savepoint");
}

int store_tx_release(store_tx *tx)
{
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_RELEASE, "RELEASE job");
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (rc == SQLITE_DONE)
        tx->depth--;
    return store_status_of(&tx->conn, rc, "release");
}

int store_tx_rollback(store_tx *tx)
{
    store_cache_forget(tx); /* what is undone may have been cached */
    sqlite3_stmt *st = store_stmt(&tx->conn, STMT_ROLLBACK_TO, "ROLLBACK TO job");
    int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
    if (rc != SQLITE_DONE)
        return store_status_of(&tx->conn, rc, "rollback to");
    return store_tx_release(tx);
}

/* Runs one job inside its savepoint; a job that fails is undone alone. */
static int run_job(store_tx *tx, store_write_fn fn, void *arg)
{
    if (store_tx_savepoint(tx) != STORE_OK)
        return STORE_ERROR;
    int status = fn(tx, arg);
    if (status == STORE_OK)
        status = store_tx_release(tx) == STORE_OK ? STORE_OK : STORE_ERROR;
    else
        store_tx_rollback(tx);
    return status;
}

int store_run(store *s, store_write_fn fn, void *arg)
{
    store_tx *tx = &s->writer_tx;
    if (exec_simple(&tx->conn, "BEGIN IMMEDIATE") != STORE_OK)
        return STORE_ERROR;
    /* One job in its own transaction: a failure rolls the whole of it back, so no savepoint is needed. */
    int status = store_cache_begin(tx);
    if (status == STORE_OK)
        status = fn(tx, arg);
    if (status == STORE_OK && exec_simple(&tx->conn, "COMMIT") == STORE_OK)
        return STORE_OK;
    store_cache_forget(tx);
    exec_simple(&tx->conn, "ROLLBACK");
    return status == STORE_OK ? STORE_ERROR : status;
}

static int bucket_of(int n) { return n <= 1 ? 0 : n < 8 ? 1 : n < 64 ? 2 : n < 512 ? 3 : 4; }

/* Under lock: whether a commit now would be synced at once. While an fsync is under way, a batch committed now
 * would wait for the next one anyway: better to run what arrives meanwhile in the same transaction. */
static int syncer_ready(store *s) { return !s->sync_running || (!s->sync_busy && !s->sync_head); }

/* Commits the batch the writer ran (jobs batch..., n of them) and hands it to the syncer, or reports it. */
static void finish_batch(store *s, store_job *batch, int n, int begun)
{
    store_tx *tx = &s->writer_tx;
    /* SQLite calls on_wal_commit from within the COMMIT: the writer's own checkpoint there is a step of its own. */
    s->commit_checkpoint_ns = 0;
    uint64_t start = clock_mono_ns();
    int committed = begun && exec_simple(&tx->conn, "COMMIT") == STORE_OK;
    if (committed)
        store_io_record(s, STORE_IO_COMMIT, start + s->commit_checkpoint_ns);
    if (begun && !committed) {
        store_cache_forget(tx);
        exec_simple(&tx->conn, "ROLLBACK");
        for (store_job *j = batch; j; j = j->next)
            j->status = STORE_ERROR;
    }
    pthread_mutex_lock(&s->lock);
    s->batch_buckets[bucket_of(n)]++;
    s->batches_done++;
    s->jobs_done += n;
    if (s->sync_running) {
        /* The syncer reports the jobs once the WAL holding this commit is on disk. */
        store_job *last = batch;
        while (last->next)
            last = last->next;
        if (s->sync_tail)
            s->sync_tail->next = batch;
        else
            s->sync_head = batch;
        s->sync_tail = last;
        pthread_cond_signal(&s->sync_wake);
        batch = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    while (batch) {
        store_job *next = batch->next;
        batch->next = NULL;
        batch->done(batch);
        batch = next;
    }
}

/* The writer's loop. A batch is the jobs queued when it begins (at most STORE_BATCH_MAX), each run in the open
 * transaction; then, while the syncer is still busy with the batch before, the jobs that arrive meanwhile join it
 * too, and it commits once the syncer is ready for it (or at STORE_BATCH_MAX jobs, or when stopping). A commit
 * of their own would have waited for that fsync all the same: so fewer commits, each writing the pages its jobs
 * share once. A job never waits for the disk longer than before: it is committed as soon as the fsync before it
 * has ended. */
static void *writer_main(void *arg)
{
    store *s = arg;
    store_tx *tx = &s->writer_tx;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->wake, &s->lock);
        if (!s->head && s->stopping)
            break;
        pthread_mutex_unlock(&s->lock);
        int begun = exec_simple(&tx->conn, "BEGIN IMMEDIATE") == STORE_OK;
        if (begun && store_cache_begin(tx) != STORE_OK) {
            exec_simple(&tx->conn, "ROLLBACK");
            begun = 0;
        }
        store_job *batch = NULL, *last = NULL;
        int n = 0;
        pthread_mutex_lock(&s->lock);
        int due = s->queued < STORE_BATCH_MAX ? s->queued : STORE_BATCH_MAX; /* queued when the batch began */
        for (;;) {
            if (n >= due) { /* past those: only while the syncer is busy with the batch before */
                while (!s->head && begun && !s->stopping && !syncer_ready(s))
                    pthread_cond_wait(&s->wake, &s->lock);
                if (!s->head || n >= STORE_BATCH_MAX || !begun || s->stopping || syncer_ready(s))
                    break;
            }
            store_job *j = s->head;
            s->head = j->next;
            if (!s->head)
                s->tail = NULL;
            s->queued--;
            j->next = NULL;
            pthread_mutex_unlock(&s->lock);
            j->status = begun ? run_job(tx, j->fn, j->arg) : STORE_ERROR;
            if (last)
                last->next = j;
            else
                batch = j;
            last = j;
            n++;
            pthread_mutex_lock(&s->lock);
        }
        pthread_mutex_unlock(&s->lock);
        finish_batch(s, batch, n, begun);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Syncer thread: makes the WAL durable up to everything written to it so far. The file is opened once (again
 * when SQLite replaced it); no WAL file means it was checkpointed, with syncs, and removed. */
static int wal_sync(store *s)
{
    char path[4096];
    struct stat open_st, path_st;
    snprintf(path, sizeof(path), "%s-wal", s->path);
    if (s->wal_fd >= 0 && (fstat(s->wal_fd, &open_st) != 0 || stat(path, &path_st) != 0 ||
                           open_st.st_ino != path_st.st_ino || open_st.st_dev != path_st.st_dev)) {
        close(s->wal_fd);
        s->wal_fd = -1;
    }
    if (s->wal_fd < 0 && (s->wal_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT ? STORE_OK : STORE_ERROR;
    return fdatasync(s->wal_fd) == 0 ? STORE_OK : STORE_ERROR;
}

static void *syncer_main(void *arg)
{
    store *s = arg;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->sync_head && !s->sync_stopping)
            pthread_cond_wait(&s->sync_wake, &s->lock);
        if (!s->sync_head)
            break; /* stopping, and nothing left to report */
        store_job *jobs = s->sync_head;
        s->sync_head = s->sync_tail = NULL;
        s->sync_busy = 1;
        pthread_mutex_unlock(&s->lock);
        uint64_t start = clock_mono_ns();
        int synced = wal_sync(s);
        if (synced == STORE_OK) {
            store_io_record(s, STORE_IO_WAL_SYNC, start);
        } else {
            /* Kept or not, the disk cannot say: the caller hears it failed, and a retry with the same key finds
             * the first answer if the change was kept. */
            log_msg(LOG_ERROR, "wal_sync_failed", "error=\"%s\"", strerror(errno));
            for (store_job *j = jobs; j; j = j->next)
                j->status = STORE_ERROR;
        }
        pthread_mutex_lock(&s->lock);
        s->sync_busy = 0;
        pthread_cond_signal(&s->wake); /* the writer may be holding a batch for this moment */
        pthread_mutex_unlock(&s->lock);
        while (jobs) {
            store_job *next = jobs->next;
            jobs->next = NULL;
            jobs->done(jobs);
            jobs = next;
        }
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void syncer_start(store *s)
{
    pthread_cond_init(&s->sync_wake, NULL);
    s->sync_head = s->sync_tail = NULL;
    s->sync_stopping = s->sync_busy = 0;
    s->wal_fd = -1;
    if (exec_simple(&s->writer_tx.conn, "PRAGMA synchronous=NORMAL") != STORE_OK ||
        pthread_create(&s->sync_thread, NULL, syncer_main, s) != 0) {
        exec_simple(&s->writer_tx.conn, "PRAGMA synchronous=FULL"); /* commits keep syncing themselves */
        pthread_cond_destroy(&s->sync_wake);
        return;
    }
    thread_name(s->sync_thread, "sync", -1);
    s->sync_running = 1;
}

/* After the writer stopped: reports what is still waiting for its fsync, then ends the thread. */
static void syncer_stop(store *s)
{
    if (!s->sync_running)
        return;
    pthread_mutex_lock(&s->lock);
    s->sync_stopping = 1;
    pthread_cond_signal(&s->sync_wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->sync_thread, NULL);
    pthread_cond_destroy(&s->sync_wake);
    s->sync_running = 0;
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    s->wal_fd = -1;
    exec_simple(&s->writer_tx.conn, "PRAGMA synchronous=FULL");
}

/* Writer thread, after each commit (it replaces SQLite's own automatic checkpoint): wakes the checkpointer. The
 * WAL starts again from its beginning only when a write transaction begins with every frame copied, which the
 * checkpointer alone never sees while the writer keeps committing: so past WAL_PAGES_MAX the writer copies what
 * is left itself, and its next transaction restarts the WAL. Otherwise the WAL would grow for as long as the load
 * lasts, each frame a new block of the file. What is left must be little, for every job waits while the writer
 * copies it: a pass of the checkpointer over 8000 frames takes long enough for thousands more to arrive. So while
 * more than WAL_TAIL_PAGES are left, the writer wakes the checkpointer for one more pass (each shorter than the
 * one before) and goes on; past WAL_PAGES_HARD_MAX it copies what is left whatever its size. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    store *s = arg;
    int wake = 0;
    if (frames < s->checkpoint_frames) { /* the WAL started again */
        s->checkpoint_frames = 0;
        pthread_mutex_lock(&s->lock);
        s->checkpoint_copied = 0;
        pthread_mutex_unlock(&s->lock);
    }
    if (frames >= WAL_PAGES_MAX) {
        pthread_mutex_lock(&s->lock);
        if (s->checkpoint_copied > frames)
            s->checkpoint_copied = 0; /* counted in the WAL before it started again */
        int left = frames - s->checkpoint_copied, busy = s->checkpoint_due || s->checkpoint_busy;
        pthread_mutex_unlock(&s->lock);
        if (left <= WAL_TAIL_PAGES || frames >= WAL_PAGES_HARD_MAX) {
            uint64_t start = clock_mono_ns();
            int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
            s->commit_checkpoint_ns += clock_mono_ns() - start;
            if (rc == SQLITE_OK) /* BUSY: a pass of the checkpointer is under way, and nothing was copied */
                store_io_record(s, STORE_IO_WRITER_CHECKPOINT, start);
            if (rc != SQLITE_OK && rc != SQLITE_BUSY)
                log_msg(LOG_WARN, "checkpoint_failed", "error=\"%s\"", sqlite3_errmsg(db));
        } else {
            wake = !busy;
        }
    }
    /* Each checkpoint syncs the WAL and the database: one per CHECKPOINT_STEP_PAGES new frames, not per commit. */
    if (wake || (frames >= CHECKPOINT_PAGES && frames >= s->checkpoint_frames + CHECKPOINT_STEP_PAGES)) {
        s->checkpoint_frames = frames;
        pthread_mutex_lock(&s->lock);
        s->checkpoint_due = 1;
        if (wake)
            s->checkpoint_flush = 1; /* a pass near the WAL's end (see the comment at the top) */
        pthread_cond_signal(&s->checkpoint_wake);
        pthread_mutex_unlock(&s->lock);
    }
    return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
    store *s = arg;
    store_conn c;
    char err[256];
    if (store_conn_open(&c, s->path, err, sizeof(err)) != STORE_OK) {
        log_msg(LOG_ERROR, "checkpointer_open", "error=\"%s\"", err);
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->checkpoint_due && !s->checkpoint_stopping)
            pthread_cond_wait(&s->checkpoint_wake, &s->lock);
        if (s->checkpoint_stopping)
            break;
        s->checkpoint_due = 0;
        s->checkpoint_busy = 1;
        int flush = s->checkpoint_flush;
        s->checkpoint_flush = 0;
        pthread_mutex_unlock(&s->lock);
        /* PASSIVE copies what no reader still needs and never waits: what is left goes next time. */
        int copied = 0;
        uint64_t start = clock_mono_ns();
        int rc = sqlite3_wal_checkpoint_v2(c.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, &copied);
        if (rc == SQLITE_OK)
            store_io_record(s, STORE_IO_CHECKPOINT, start);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_msg(LOG_WARN, "checkpoint_failed", "error=\"%s\"", sqlite3_errmsg(c.db));
        /* Not needed for durability (the WAL still holds every frame copied): it only moves the writes ahead. */
        if (flush && copied > 0 && s->db_fd >= 0) {
            start = clock_mono_ns();
            if (fdatasync(s->db_fd) == 0)
                store_io_record(s, STORE_IO_CHECKPOINT_FLUSH, start);
            else
                log_msg(LOG_WARN, "checkpoint_flush_failed", "error=\"%s\"", strerror(errno));
        }
        pthread_mutex_lock(&s->lock);
        s->checkpoint_busy = 0;
        if (rc == SQLITE_OK && copied > 0)
            s->checkpoint_copied = copied;
    }
    pthread_mutex_unlock(&s->lock);
    store_conn_close(&c);
    return NULL;
}

static void checkpointer_start(store *s)
{
    pthread_cond_init(&s->checkpoint_wake, NULL);
    s->checkpoint_due = s->checkpoint_stopping = s->checkpoint_frames = 0;
    s->checkpoint_busy = s->checkpoint_copied = s->checkpoint_flush = 0;
    s->db_fd = open(s->path, O_RDONLY | O_CLOEXEC); /* without it, passes just do not flush */
    if (pthread_create(&s->checkpoint_thread, NULL, checkpointer_main, s) != 0) {
        pthread_cond_destroy(&s->checkpoint_wake);
        if (s->db_fd >= 0)
            close(s->db_fd);
        s->db_fd = -1;
        return; /* SQLite's automatic checkpoints stay in place */
    }
    thread_name(s->checkpoint_thread, "ckpt", -1);
    s->checkpoint_running = 1;
    sqlite3_wal_hook(s->writer_tx.conn.db, on_wal_commit, s);
}

static void checkpointer_stop(store *s)
{
    if (!s->checkpoint_running)
        return;
    sqlite3_wal_autocheckpoint(s->writer_tx.conn.db, 1000); /* SQLite's default hook again, for what follows */
    pthread_mutex_lock(&s->lock);
    s->checkpoint_stopping = 1;
    pthread_cond_signal(&s->checkpoint_wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->checkpoint_thread, NULL);
    pthread_cond_destroy(&s->checkpoint_wake);
    s->checkpoint_running = 0;
    if (s->db_fd >= 0)
        close(s->db_fd);
    s->db_fd = -1;
}

int store_writer_start(store *s)
{
    if (s->writer_running)
        return STORE_OK;
    /* The writer reads the members, transactions and indexes a purchase touches at random: mapped into memory
     * they cost no read() each (about a twentieth of the writer's time otherwise). Writes still go to the WAL. */
    exec_simple(&s->writer_tx.conn,
                "PRAGMA mmap_size=" WRITER_MMAP_BYTES_TEXT "; PRAGMA cache_size=" WRITER_CACHE_KIB_TEXT);
    checkpointer_start(s);
    syncer_start(s);
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        syncer_stop(s);
        checkpointer_stop(s);
        return STORE_ERROR;
    }
    thread_name(s->writer_thread, "writer", -1);
    s->writer_running = 1;
    return STORE_OK;
}

int store_submit(store *s, store_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&s->lock);
    int status = s->stopping || !s->writer_running ? STORE_ERROR : s->queued >= STORE_QUEUE_MAX ? STORE_FULL : STORE_OK;
    if (status == STORE_OK) {
        if (s->tail)
            s->tail->next = job;
        else
            s->head = job;
        s->tail = job;
        s->queued++;
        pthread_cond_signal(&s->wake);
    }
    pthread_mutex_unlock(&s->lock);
    return status;
}

void store_writer_stats(store *s, uint64_t buckets[STORE_BATCH_BUCKETS], uint64_t *jobs, uint64_t *batches)
{
    pthread_mutex_lock(&s->lock);
    memcpy(buckets, s->batch_buckets, sizeof(s->batch_buckets));
    *jobs = s->jobs_done;
    *batches = s->batches_done;
    pthread_mutex_unlock(&s->lock);
}

/* Finishes every queued job, then ends the thread. */
static void writer_stop(store *s)
{
    if (!s->writer_running)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->writer_thread, NULL);
    s->writer_running = 0;
    syncer_stop(s);
    checkpointer_stop(s);
}

void store_close(store *s)
{
    if (!s)
        return;
    writer_stop(s);
    store_cache_free(&s->writer_tx);
    store_conn_close(&s->writer_tx.conn);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s->path);
    free(s);
}
