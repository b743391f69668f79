/*
 * test_store.c: unit tests for src/store against a real SQLite file in a temporary directory:
 * migrations, members, unique conflicts, store_run, the group-commit writer and its savepoints,
 * idempotency records, staff users, API keys, listing, backup and reopening.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/internal.h"
#include "store/migrations.h"
#include "store/store.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */

typedef struct fixture {
    char dir[64];
    store *s;
    store_reader *r;
} fixture;

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof f->dir, "/tmp/bashgah-store-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char err[256];
    if (store_open(&f->s, f->dir, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "store_open: %s\n", err);
        return -1;
    }
    f->r = store_reader_open(f->s);
    if (!f->r)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_reader_close(f->r);
    store_close(f->s);
    remove_dir(f->dir);
    free(f);
    return 0;
}

/* A stored-ready member; NULL leaves a field empty. */
static void make_member(member *m, const char *given, const char *phone, const char *email, const char *ref)
{
    member_rules rules = {.phone_region = "IR", .default_time_zone = "Asia/Tehran", .default_locale = "fa",
                          .now_ms = NOW_MS};
    member_init(m, &rules);
    snprintf(m->given_name, sizeof m->given_name, "%s", given ? given : "");
    snprintf(m->phone, sizeof m->phone, "%s", phone ? phone : "");
    snprintf(m->email, sizeof m->email, "%s", email ? email : "");
    snprintf(m->external_ref, sizeof m->external_ref, "%s", ref ? ref : "");
}

static int64_t member_count(fixture *f)
{
    int64_t n = -1;
    assert_int_equal(store_member_count(f->r, &n), STORE_OK);
    return n;
}

/* ---- write functions used with store_run and jobs ---- */

typedef struct insert_arg {
    member *m;
    int nm;
    const char *field; /* the conflicting field, if any */
    int fail_with;     /* returned after inserting everything, when not STORE_OK */
} insert_arg;

/* Inserts each member in turn; stops at the first failure and returns its status. */
static int insert_members(store_tx *tx, void *p)
{
    insert_arg *a = p;
    for (int i = 0; i < a->nm; i++) {
        int st = store_tx_member_insert(tx, &a->m[i], &a->field);
        if (st != STORE_OK)
            return st;
    }
    return a->fail_with;
}

static int insert_one(fixture *f, member *m)
{
    insert_arg a = {.m = m, .nm = 1};
    return store_run(f->s, insert_members, &a);
}

static void test_open_applies_every_migration(void **state)
{
    fixture *f = *state;
    assert_true(store_migrations_count >= 1);
    assert_int_equal(store_schema_version(f->s), store_migrations_count);
    assert_int_equal(member_count(f), 0);
    assert_true(store_db_size_bytes(f->r) > 0);
    int64_t users = -1;
    assert_int_equal(store_user_count(f->r, &users), STORE_OK);
    assert_true(users == 0);
}

static void test_close_of_null_is_a_no_op(void **state)
{
    (void)state;
    store_close(NULL);
    store_reader_close(NULL);
}

static void test_inserted_member_reads_back_field_for_field(void **state)
{
    fixture *f = *state;
    member m, got;
    make_member(&m, "علی", "+989121234567", "ali@example.com", "EXT-1");
    snprintf(m.family_name, sizeof m.family_name, "رضایی");
    m.has_birthday = true;
    m.birthday_calendar = CALENDAR_PERSIAN;
    m.birthday_y = 1403;
    m.birthday_m = 12;
    m.birthday_d = 30;
    snprintf(m.time_zone, sizeof m.time_zone, "Europe/Berlin");
    snprintf(m.locale, sizeof m.locale, "en");
    m.kind = MEMBER_KIND_PROSPECT;
    m.consent_sms = true;
    m.consent_sms_at = NOW_MS - 5;
    json_object_set_new(m.attributes, "tier", json_string("gold"));
    json_object_set_new(m.attributes, "nested", json_pack("{s:[i,i]}", "a", 1, 2));
    m.updated_at = NOW_MS + 7;

    assert_int_equal(insert_one(f, &m), STORE_OK);
    assert_true(m.id > 0);
    assert_int_equal(store_member_get(f->r, m.id, &got), STORE_OK);
    json_t *want = member_to_json(&m), *have = member_to_json(&got);
    if (!json_equal(want, have)) {
        char *w = json_dumps(want, JSON_COMPACT), *h = json_dumps(have, JSON_COMPACT);
        fail_msg("stored member differs:\nwant %s\nhave %s", w, h);
    }
    assert_true(got.birthday_calendar == CALENDAR_PERSIAN && got.birthday_d == 30);
    assert_true(got.consent_sms_at == NOW_MS - 5 && got.consent_email_at == 0 && got.erased_at == 0);
    json_decref(want);
    json_decref(have);
    member_release(&got);
    member_release(&m);

    assert_int_equal(store_member_get(f->r, 9999, &got), STORE_NOTFOUND);
}

/* The writer connection's page cache size, in PRAGMA cache_size's own terms (negative: KiB). */
static int cache_size_job(store_tx *tx, void *p)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(tx->conn.db, "PRAGMA cache_size", -1, &st, NULL) != SQLITE_OK)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    *(int64_t *)p = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? STORE_OK : STORE_ERROR;
}

/* A member write checks whether an import set the unique indexes aside (members.c, keys_guard); that check must
 * leave a server's writer as it was. It once gave the writer the import's 1 GiB page cache, and every commit then
 * walked the cache's whole hash (purchases at half their rate). */
static void test_member_write_keeps_the_writer_cache_size(void **state)
{
    fixture *f = *state;
    int64_t before = 0, after = 0;
    assert_int_equal(store_run(f->s, cache_size_job, &before), STORE_OK);
    assert_true(before != 0);
    member m;
    make_member(&m, "Sara", "+989121234500", "sara@example.com", "EXT-CACHE");
    assert_int_equal(insert_one(f, &m), STORE_OK);
    member_release(&m);
    assert_int_equal(store_run(f->s, cache_size_job, &after), STORE_OK);
    assert_int_equal(after, before);
}

static void test_member_without_phone_email_or_ref_may_be_many(void **state)
{
    fixture *f = *state;
    member a, b;
    make_member(&a, "علی", NULL, NULL, NULL);
    make_member(&b, "رضا", NULL, NULL, NULL);
    assert_int_equal(insert_one(f, &a), STORE_OK);
    assert_int_equal(insert_one(f, &b), STORE_OK);
    assert_true(a.id != b.id);
    assert_int_equal(member_count(f), 2);
    member_release(&a);
    member_release(&b);
}

/* Inserts a fresh member and then one that takes `field` from the first stored member. */
static void check_conflict(fixture *f, const char *field, const char *phone, const char *email, const char *ref)
{
    member two[2];
    make_member(&two[0], "fresh", "+989350000001", "fresh@example.com", "FRESH");
    make_member(&two[1], "clash", phone, email, ref);
    insert_arg a = {.m = two, .nm = 2};
    assert_int_equal(store_run(f->s, insert_members, &a), STORE_CONFLICT);
    assert_non_null(a.field);
    assert_string_equal(a.field, field);
    /* Nothing of the failed run is kept: not even the fresh member inserted first. */
    assert_int_equal(member_count(f), 1);
    member_release(&two[0]);
    member_release(&two[1]);
}

static void test_unique_conflict_names_the_field_and_keeps_nothing(void **state)
{
    fixture *f = *state;
    member first;
    make_member(&first, "first", "+989121234567", "first@example.com", "REF-1");
    assert_int_equal(insert_one(f, &first), STORE_OK);
    check_conflict(f, "phone", "+989121234567", "other@example.com", "REF-2");
    check_conflict(f, "email", "+989121111111", "first@example.com", "REF-3");
    check_conflict(f, "external_ref", "+989122222222", "x@example.com", "REF-1");
    member_release(&first);
}

typedef struct update_arg {
    member *m;
    const char *field;
} update_arg;

static int update_member(store_tx *tx, void *p)
{
    update_arg *a = p;
    return store_tx_member_update(tx, a->m, &a->field);
}

static void test_update_conflict_names_the_field_and_changes_nothing(void **state)
{
    fixture *f = *state;
    member a, b, got;
    make_member(&a, "a", "+989121234567", "a@example.com", NULL);
    make_member(&b, "b", "+989351112233", "b@example.com", NULL);
    assert_int_equal(insert_one(f, &a), STORE_OK);
    assert_int_equal(insert_one(f, &b), STORE_OK);
    snprintf(b.email, sizeof b.email, "a@example.com");
    snprintf(b.given_name, sizeof b.given_name, "changed");
    update_arg u = {.m = &b};
    assert_int_equal(store_run(f->s, update_member, &u), STORE_CONFLICT);
    assert_string_equal(u.field, "email");
    assert_int_equal(store_member_get(f->r, b.id, &got), STORE_OK);
    assert_string_equal(got.email, "b@example.com");
    assert_string_equal(got.given_name, "b");
    member_release(&got);

    /* A valid update is kept; an update of a missing id is STORE_NOTFOUND. */
    snprintf(b.email, sizeof b.email, "b2@example.com");
    u.field = NULL;
    assert_int_equal(store_run(f->s, update_member, &u), STORE_OK);
    assert_int_equal(store_member_get(f->r, b.id, &got), STORE_OK);
    assert_string_equal(got.email, "b2@example.com");
    assert_string_equal(got.given_name, "changed");
    member_release(&got);
    b.id = 777;
    assert_int_equal(store_run(f->s, update_member, &u), STORE_NOTFOUND);
    member_release(&a);
    member_release(&b);
}

static void test_run_that_refuses_its_input_writes_nothing(void **state)
{
    fixture *f = *state;
    member m[3];
    make_member(&m[0], "a", "+989121000001", NULL, NULL);
    make_member(&m[1], "b", "+989121000002", NULL, NULL);
    make_member(&m[2], "c", "+989121000003", NULL, NULL);
    insert_arg a = {.m = m, .nm = 3, .fail_with = STORE_INVALID};
    assert_int_equal(store_run(f->s, insert_members, &a), STORE_INVALID);
    assert_int_equal(member_count(f), 0);
    /* The store is usable afterwards, and the same values can be inserted. */
    a.fail_with = STORE_OK;
    assert_int_equal(store_run(f->s, insert_members, &a), STORE_OK);
    assert_int_equal(member_count(f), 3);
    for (int i = 0; i < 3; i++)
        member_release(&m[i]);
}

/* ---- the writer ---- */

typedef struct tracker {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    store_reader *check; /* used only on the writer thread, inside done() */
    int visible_at_done; /* jobs whose row a separate connection saw when done() ran */
} tracker;

typedef struct wjob {
    store_job job; /* first, so done() can get back to the wjob */
    tracker *t;
    member m;
    int fail_with;
    const char *field;
    struct gate *gate; /* when set, the job holds the writer until the gate opens */
} wjob;

/* Lets a test hold the writer inside one job while it queues more behind it. */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int entered, open;
} gate;

static void tracker_init(tracker *t)
{
    memset(t, 0, sizeof(*t));
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
}

static void tracker_release(tracker *t)
{
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
}

static int wjob_run(store_tx *tx, void *p)
{
    wjob *w = p;
    if (w->gate) {
        pthread_mutex_lock(&w->gate->lock);
        w->gate->entered = 1;
        pthread_cond_broadcast(&w->gate->cond);
        while (!w->gate->open)
            pthread_cond_wait(&w->gate->cond, &w->gate->lock);
        pthread_mutex_unlock(&w->gate->lock);
    }
    int st = store_tx_member_insert(tx, &w->m, &w->field);
    return st != STORE_OK ? st : w->fail_with;
}

static void wjob_done(store_job *job)
{
    wjob *w = (wjob *)job;
    tracker *t = w->t;
    int visible = 0;
    if (t->check && job->status == STORE_OK) {
        member got;
        if (store_member_get(t->check, w->m.id, &got) == STORE_OK) {
            visible = 1;
            member_release(&got);
        }
    }
    pthread_mutex_lock(&t->lock);
    t->done++;
    t->visible_at_done += visible;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

static void wjob_init(wjob *w, tracker *t, int i)
{
    memset(w, 0, sizeof(*w));
    char ref[32], phone[32];
    snprintf(ref, sizeof ref, "W-%04d", i);
    snprintf(phone, sizeof phone, "+98912%07d", 1000000 + i);
    make_member(&w->m, ref, phone, NULL, ref);
    w->t = t;
    w->job.fn = wjob_run;
    w->job.arg = w;
    w->job.done = wjob_done;
    w->job.status = -1;
}

/* Waits (at most 60 s) until n jobs have reported done. */
static void wait_done(tracker *t, int n)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 60;
    pthread_mutex_lock(&t->lock);
    while (t->done < n)
        if (pthread_cond_timedwait(&t->cond, &t->lock, &deadline) == ETIMEDOUT)
            break;
    int done = t->done;
    pthread_mutex_unlock(&t->lock);
    if (done < n)
        fail_msg("only %d of %d jobs reported done", done, n);
}

#define WRITER_THREADS 4
#define WRITER_JOBS 200

typedef struct submitter {
    store *s;
    wjob *jobs;
    int n;
    int refused;
} submitter;

static void *submit_all(void *p)
{
    submitter *sub = p;
    for (int i = 0; i < sub->n; i++)
        if (store_submit(sub->s, &sub->jobs[i].job) != STORE_OK)
            sub->refused++;
    return NULL;
}

static void test_writer_commits_jobs_from_many_threads_before_reporting_done(void **state)
{
    fixture *f = *state;
    tracker t;
    tracker_init(&t);
    t.check = store_reader_open(f->s);
    assert_non_null(t.check);
    wjob *jobs = calloc(WRITER_JOBS, sizeof(*jobs));
    for (int i = 0; i < WRITER_JOBS; i++)
        wjob_init(&jobs[i], &t, i);

    assert_int_equal(store_writer_start(f->s), STORE_OK);
    pthread_t threads[WRITER_THREADS];
    submitter subs[WRITER_THREADS];
    const int per = WRITER_JOBS / WRITER_THREADS;
    for (int i = 0; i < WRITER_THREADS; i++) {
        subs[i] = (submitter){.s = f->s, .jobs = jobs + i * per, .n = per};
        assert_int_equal(pthread_create(&threads[i], NULL, submit_all, &subs[i]), 0);
    }
    for (int i = 0; i < WRITER_THREADS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(subs[i].refused, 0);
    }
    wait_done(&t, WRITER_JOBS);
    /* done() ran only after the commit: another connection already saw each row then. */
    assert_int_equal(t.visible_at_done, WRITER_JOBS);

    assert_int_equal(member_count(f), WRITER_JOBS);
    for (int i = 0; i < WRITER_JOBS; i++) {
        member got;
        assert_int_equal(jobs[i].job.status, STORE_OK);
        assert_int_equal(store_member_get(f->r, jobs[i].m.id, &got), STORE_OK);
        assert_string_equal(got.external_ref, jobs[i].m.external_ref);
        assert_string_equal(got.phone, jobs[i].m.phone);
        member_release(&got);
    }

    uint64_t buckets[STORE_BATCH_BUCKETS], njobs = 0, nbatches = 0, sum = 0;
    store_writer_stats(f->s, buckets, &njobs, &nbatches);
    assert_true(njobs == WRITER_JOBS);
    assert_true(nbatches >= 1 && nbatches <= njobs);
    for (int i = 0; i < STORE_BATCH_BUCKETS; i++)
        sum += buckets[i];
    assert_true(sum == nbatches);

    for (int i = 0; i < WRITER_JOBS; i++)
        member_release(&jobs[i].m);
    free(jobs);
    store_reader_close(t.check);
    tracker_release(&t);
}

/* Submits jobs[0] and waits until the writer is running it (a batch of one, held at the gate), submits the
 * rest, which queue up behind it, then opens the gate: the rest run as one more batch. */
static void submit_behind_gate(store *s, wjob *jobs, int n, gate *g)
{
    jobs[0].gate = g;
    assert_int_equal(store_writer_start(s), STORE_OK);
    assert_int_equal(store_submit(s, &jobs[0].job), STORE_OK);
    pthread_mutex_lock(&g->lock);
    while (!g->entered)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    for (int i = 1; i < n; i++)
        assert_int_equal(store_submit(s, &jobs[i].job), STORE_OK);
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

static void test_writer_groups_queued_jobs_into_one_commit(void **state)
{
    fixture *f = *state;
    enum { N = 200 };
    tracker t;
    tracker_init(&t);
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    wjob *jobs = calloc(N, sizeof(*jobs));
    for (int i = 0; i < N; i++)
        wjob_init(&jobs[i], &t, i);
    submit_behind_gate(f->s, jobs, N, &g);
    wait_done(&t, N);

    uint64_t buckets[STORE_BATCH_BUCKETS], njobs = 0, nbatches = 0;
    store_writer_stats(f->s, buckets, &njobs, &nbatches);
    assert_true(njobs == N);
    /* The gate job alone, then the 199 queued while it ran in one transaction. */
    assert_true(nbatches == 2);
    assert_true(buckets[0] == 1);
    assert_true(buckets[3] == 1); /* 64-511 jobs */
    assert_int_equal(member_count(f), N);
    for (int i = 0; i < N; i++)
        member_release(&jobs[i].m);
    free(jobs);
    tracker_release(&t);
}

typedef struct refs {
    char ref[32][MEMBER_REF_MAX + 1];
    int n;
} refs;

static void collect_ref(const member *m, void *arg)
{
    refs *r = arg;
    if (r->n < 32)
        snprintf(r->ref[r->n++], sizeof r->ref[0], "%s", m->external_ref);
}

static void test_failing_job_in_a_batch_does_not_spoil_the_others(void **state)
{
    fixture *f = *state;
    enum { N = 12, REFUSED = 5, CLASHING = 8 };
    tracker t;
    tracker_init(&t);
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    wjob jobs[N];
    for (int i = 0; i < N; i++)
        wjob_init(&jobs[i], &t, i);
    jobs[REFUSED].fail_with = STORE_INVALID; /* inserts, then refuses */
    snprintf(jobs[CLASHING].m.phone, sizeof jobs[CLASHING].m.phone, "%s", jobs[2].m.phone);
    submit_behind_gate(f->s, jobs, N, &g);
    wait_done(&t, N);

    uint64_t buckets[STORE_BATCH_BUCKETS], njobs = 0, nbatches = 0;
    store_writer_stats(f->s, buckets, &njobs, &nbatches);
    assert_true(njobs == N && nbatches == 2); /* the gate job, then the other 11 in one transaction */

    assert_int_equal(jobs[REFUSED].job.status, STORE_INVALID);
    assert_int_equal(jobs[CLASHING].job.status, STORE_CONFLICT);
    assert_string_equal(jobs[CLASHING].field, "phone");
    assert_int_equal(member_count(f), N - 2);
    for (int i = 0; i < N; i++) {
        if (i == REFUSED || i == CLASHING)
            continue;
        member got;
        assert_int_equal(jobs[i].job.status, STORE_OK);
        assert_int_equal(store_member_get(f->r, jobs[i].m.id, &got), STORE_OK);
        assert_string_equal(got.external_ref, jobs[i].m.external_ref);
        member_release(&got);
    }
    /* The refused job's row is gone (its id may have gone to the next job, so look for its reference). */
    refs seen = {0};
    int count = 0;
    assert_int_equal(store_member_list(f->r, &(store_member_filter){.limit = 100}, "IR", collect_ref, &seen, &count),
                     STORE_OK);
    assert_int_equal(count, N - 2);
    for (int i = 0; i < seen.n; i++) {
        assert_string_not_equal(seen.ref[i], jobs[REFUSED].m.external_ref);
        assert_string_not_equal(seen.ref[i], jobs[CLASHING].m.external_ref);
    }
    for (int i = 0; i < N; i++)
        member_release(&jobs[i].m);
    tracker_release(&t);
}

static void test_submit_without_a_running_writer_is_refused(void **state)
{
    fixture *f = *state;
    tracker t;
    tracker_init(&t);
    wjob w;
    wjob_init(&w, &t, 1);
    assert_int_equal(store_submit(f->s, &w.job), STORE_ERROR);
    assert_int_equal(t.done, 0);
    assert_int_equal(member_count(f), 0);
    member_release(&w.m);
    tracker_release(&t);
}

/* Inside one job: A kept; B inside a rolled-back savepoint gone; C inside a released savepoint kept. */
typedef struct savepoint_arg {
    member *m; /* A, B, C */
    int outer_status;
    int statuses[6];
} savepoint_arg;

static int savepoint_job(store_tx *tx, void *p)
{
    savepoint_arg *a = p;
    const char *field;
    a->statuses[0] = store_tx_member_insert(tx, &a->m[0], &field);
    a->statuses[1] = store_tx_savepoint(tx);
    store_tx_member_insert(tx, &a->m[1], &field);
    a->statuses[2] = store_tx_rollback(tx);
    a->statuses[3] = store_tx_savepoint(tx);
    a->statuses[4] = store_tx_member_insert(tx, &a->m[2], &field);
    a->statuses[5] = store_tx_release(tx);
    return a->outer_status;
}

static void test_savepoint_rollback_inside_a_job_keeps_the_outer_work(void **state)
{
    fixture *f = *state;
    member m[3];
    make_member(&m[0], "A", "+989121000001", NULL, "A");
    make_member(&m[1], "B", "+989121000002", NULL, "B");
    make_member(&m[2], "C", "+989121000003", NULL, "C");
    savepoint_arg a = {.m = m, .outer_status = STORE_OK};
    assert_int_equal(store_run(f->s, savepoint_job, &a), STORE_OK);
    for (int i = 0; i < 6; i++)
        assert_int_equal(a.statuses[i], STORE_OK);
    member got;
    assert_int_equal(store_member_get(f->r, m[0].id, &got), STORE_OK);
    assert_string_equal(got.given_name, "A");
    member_release(&got);
    assert_int_equal(store_member_get(f->r, m[2].id, &got), STORE_OK);
    assert_string_equal(got.given_name, "C");
    member_release(&got);
    assert_int_equal(member_count(f), 2);

    /* A released inner savepoint is still undone when its job fails. */
    member n[3];
    make_member(&n[0], "D", "+989121000004", NULL, "D");
    make_member(&n[1], "E", "+989121000005", NULL, "E");
    make_member(&n[2], "F", "+989121000006", NULL, "F");
    savepoint_arg b = {.m = n, .outer_status = STORE_INVALID};
    assert_int_equal(store_run(f->s, savepoint_job, &b), STORE_INVALID);
    assert_int_equal(member_count(f), 2);
    for (int i = 0; i < 3; i++) {
        member_release(&m[i]);
        member_release(&n[i]);
    }
}

static void test_savepoints_work_inside_writer_jobs_too(void **state)
{
    fixture *f = *state;
    member m[3];
    make_member(&m[0], "A", "+989121000001", NULL, "A");
    make_member(&m[1], "B", "+989121000002", NULL, "B");
    make_member(&m[2], "C", "+989121000003", NULL, "C");
    savepoint_arg a = {.m = m, .outer_status = STORE_OK};
    tracker t;
    tracker_init(&t);
    wjob after;
    wjob_init(&after, &t, 99);
    wjob spw; /* a wjob, for wjob_done, running savepoint_job instead of wjob_run */
    memset(&spw, 0, sizeof spw);
    spw.t = &t;
    spw.job.fn = savepoint_job;
    spw.job.arg = &a;
    spw.job.done = wjob_done;
    assert_int_equal(store_writer_start(f->s), STORE_OK);
    assert_int_equal(store_submit(f->s, &spw.job), STORE_OK);
    assert_int_equal(store_submit(f->s, &after.job), STORE_OK);
    wait_done(&t, 2);
    assert_int_equal(spw.job.status, STORE_OK);
    assert_int_equal(after.job.status, STORE_OK);
    /* A, C and the job after it: the savepoint depth was back to the job's own when it ended. */
    assert_int_equal(member_count(f), 3);
    member got;
    assert_int_equal(store_member_get(f->r, after.m.id, &got), STORE_OK);
    member_release(&got);
    for (int i = 0; i < 3; i++)
        member_release(&m[i]);
    member_release(&after.m);
    tracker_release(&t);
}

/* ---- idempotency ---- */

typedef struct idem_arg {
    const char *principal, *key;
    store_idem rec;
    int64_t now, before;
    int status;
    store_idem got;
} idem_arg;

static int idem_put(store_tx *tx, void *p)
{
    idem_arg *a = p;
    return store_tx_idem_put(tx, a->principal, a->key, &a->rec, a->now);
}

static int idem_get(store_tx *tx, void *p)
{
    idem_arg *a = p;
    memset(&a->got, 0, sizeof a->got);
    a->status = store_tx_idem_get(tx, a->principal, a->key, &a->got);
    return STORE_OK;
}

static int idem_purge(store_tx *tx, void *p)
{
    idem_arg *a = p;
    return store_tx_idem_purge(tx, a->before);
}

static void test_idempotency_records_put_get_and_purge(void **state)
{
    fixture *f = *state;
    idem_arg a = {.principal = "user:1", .key = "k-1", .now = NOW_MS};
    for (int i = 0; i < 32; i++)
        a.rec.request_hash[i] = (uint8_t)(i * 7 + 1);
    a.rec.status = 201;
    a.rec.location = "/v1/members/5";
    a.rec.body = "{\"id\":5}";
    assert_int_equal(store_run(f->s, idem_put, &a), STORE_OK);

    assert_int_equal(store_run(f->s, idem_get, &a), STORE_OK);
    assert_int_equal(a.status, STORE_OK);
    assert_memory_equal(a.got.request_hash, a.rec.request_hash, 32);
    assert_int_equal(a.got.status, 201);
    assert_string_equal(a.got.location, "/v1/members/5");
    assert_string_equal(a.got.body, "{\"id\":5}");
    store_idem_release(&a.got);
    assert_null(a.got.body);

    /* The same key for the same principal is taken; for another principal it is free. */
    assert_int_equal(store_run(f->s, idem_put, &a), STORE_CONFLICT);
    idem_arg b = a;
    b.principal = "apikey:1";
    b.rec.location = NULL;
    b.rec.status = 200;
    b.now = NOW_MS + 10000;
    assert_int_equal(store_run(f->s, idem_put, &b), STORE_OK);
    assert_int_equal(store_run(f->s, idem_get, &b), STORE_OK);
    assert_int_equal(b.status, STORE_OK);
    assert_null(b.got.location);
    assert_int_equal(b.got.status, 200);
    store_idem_release(&b.got);

    idem_arg missing = {.principal = "user:1", .key = "k-2"};
    assert_int_equal(store_run(f->s, idem_get, &missing), STORE_OK);
    assert_int_equal(missing.status, STORE_NOTFOUND);

    /* Purge forgets what is older than its bound and keeps the rest. */
    a.before = NOW_MS + 1;
    assert_int_equal(store_run(f->s, idem_purge, &a), STORE_OK);
    assert_int_equal(store_run(f->s, idem_get, &a), STORE_OK);
    assert_int_equal(a.status, STORE_NOTFOUND);
    assert_int_equal(store_run(f->s, idem_get, &b), STORE_OK);
    assert_int_equal(b.status, STORE_OK);
    store_idem_release(&b.got);
    /* Once purged, the key may be used again. */
    assert_int_equal(store_run(f->s, idem_put, &a), STORE_OK);
}

/* ---- staff users and API keys ---- */

typedef struct user_arg {
    store_user u;
    int64_t now, window;
    int recent;
} user_arg;

static int user_insert(store_tx *tx, void *p) { return store_tx_user_insert(tx, &((user_arg *)p)->u); }

static int login_failed(store_tx *tx, void *p)
{
    user_arg *a = p;
    return store_tx_login_failed(tx, a->u.id, a->now, a->window, &a->recent);
}

static int login_succeeded(store_tx *tx, void *p) { return store_tx_login_succeeded(tx, ((user_arg *)p)->u.id); }

static void test_user_insert_and_failed_logins_counted_within_the_window(void **state)
{
    fixture *f = *state;
    user_arg a = {.window = 15 * 60 * 1000};
    snprintf(a.u.username, sizeof a.u.username, "maryam");
    snprintf(a.u.password_hash, sizeof a.u.password_hash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
    a.u.role = ROLE_CASHIER;
    a.u.created_at = a.u.updated_at = NOW_MS;
    assert_int_equal(store_run(f->s, user_insert, &a), STORE_OK);
    assert_true(a.u.id > 0);

    store_user got;
    assert_int_equal(store_user_by_name(f->r, "maryam", &got), STORE_OK);
    assert_true(got.id == a.u.id);
    assert_int_equal(got.role, ROLE_CASHIER);
    assert_string_equal(got.password_hash, a.u.password_hash);
    assert_false(got.disabled);
    assert_int_equal(store_user_by_name(f->r, "Maryam", &got), STORE_NOTFOUND);

    user_arg dup = a;
    assert_int_equal(store_run(f->s, user_insert, &dup), STORE_CONFLICT);
    int64_t users = 0;
    assert_int_equal(store_user_count(f->r, &users), STORE_OK);
    assert_true(users == 1);

    /* Failures at t, t+5 min, t+10 min, t+21 min with a 15-minute window: the last sees t+10 and itself. */
    const int64_t minute = 60 * 1000;
    const int64_t at[] = {NOW_MS, NOW_MS + 5 * minute, NOW_MS + 10 * minute, NOW_MS + 21 * minute};
    const int want[] = {1, 2, 3, 2};
    for (int i = 0; i < 4; i++) {
        a.now = at[i];
        assert_int_equal(store_run(f->s, login_failed, &a), STORE_OK);
        if (a.recent != want[i])
            fail_msg("failure %d: %d recent, want %d", i, a.recent, want[i]);
    }
    /* A success forgets them. */
    assert_int_equal(store_run(f->s, login_succeeded, &a), STORE_OK);
    a.now = NOW_MS + 22 * minute;
    assert_int_equal(store_run(f->s, login_failed, &a), STORE_OK);
    assert_int_equal(a.recent, 1);
}

typedef struct key_arg {
    store_apikey k;
    int64_t id, now;
} key_arg;

static int key_insert(store_tx *tx, void *p) { return store_tx_apikey_insert(tx, &((key_arg *)p)->k); }

static int key_revoke(store_tx *tx, void *p)
{
    key_arg *a = p;
    return store_tx_apikey_revoke(tx, a->id, a->now);
}

static void count_key(const store_apikey *k, void *arg)
{
    (void)k;
    (*(int *)arg)++;
}

static void test_api_key_insert_and_revoke_once(void **state)
{
    fixture *f = *state;
    key_arg a = {0};
    snprintf(a.k.name, sizeof a.k.name, "till 1");
    a.k.role = ROLE_CASHIER;
    for (int i = 0; i < 32; i++)
        a.k.secret_hash[i] = (uint8_t)(255 - i);
    snprintf(a.k.created_by, sizeof a.k.created_by, "user:1");
    a.k.created_at = NOW_MS;
    assert_int_equal(store_run(f->s, key_insert, &a), STORE_OK);
    assert_true(a.k.id > 0);

    store_apikey got;
    assert_int_equal(store_apikey_get(f->r, a.k.id, &got), STORE_OK);
    assert_string_equal(got.name, "till 1");
    assert_int_equal(got.role, ROLE_CASHIER);
    assert_memory_equal(got.secret_hash, a.k.secret_hash, 32);
    assert_string_equal(got.created_by, "user:1");
    assert_true(got.created_at == NOW_MS && got.revoked_at == 0);

    a.id = a.k.id;
    a.now = NOW_MS + 1000;
    assert_int_equal(store_run(f->s, key_revoke, &a), STORE_OK);
    assert_int_equal(store_apikey_get(f->r, a.k.id, &got), STORE_OK);
    assert_true(got.revoked_at == NOW_MS + 1000);
    /* Revoking again changes nothing and says so; the first revocation time stays. */
    a.now = NOW_MS + 2000;
    assert_int_equal(store_run(f->s, key_revoke, &a), STORE_NOTFOUND);
    assert_int_equal(store_apikey_get(f->r, a.k.id, &got), STORE_OK);
    assert_true(got.revoked_at == NOW_MS + 1000);
    a.id = 4242;
    assert_int_equal(store_run(f->s, key_revoke, &a), STORE_NOTFOUND);
    assert_int_equal(store_apikey_get(f->r, 4242, &got), STORE_NOTFOUND);

    int n = 0;
    assert_int_equal(store_apikey_each(f->r, count_key, &n), STORE_OK);
    assert_int_equal(n, 1);
}

/* A held reader keeps one read transaction across statements, yet each statement sees every commit that
 * finished before it: from this process's writer connection, or from another connection (as another process's
 * would be: the WAL-index header both rewrite is the same shared memory). */
static void test_held_reader_sees_every_finished_commit_and_counts_them(void **state)
{
    fixture *f = *state;
    key_arg a = {0};
    snprintf(a.k.name, sizeof a.k.name, "held");
    a.k.role = ROLE_CASHIER;
    a.k.created_at = NOW_MS;
    assert_int_equal(store_run(f->s, key_insert, &a), STORE_OK);
    assert_true(store_reader_version(f->r) == 0); /* not held: nothing known */
    store_reader_hold(f->r);
    uint64_t v = store_reader_version(f->r);
    assert_true(v != 0);
    store_apikey got;
    assert_int_equal(store_apikey_get(f->r, a.k.id, &got), STORE_OK);
    assert_true(got.revoked_at == 0);
    assert_int_equal(store_apikey_get(f->r, a.k.id, &got), STORE_OK); /* the same snapshot, still current */
    assert_true(got.revoked_at == 0);
    store_reader_release(f->r);
    assert_true(store_reader_version(f->r) == v); /* a new transaction, the same database */

    a.id = a.k.id;
    a.now = NOW_MS + 1000;
    assert_int_equal(store_run(f->s, key_revoke, &a), STORE_OK);
    assert_true(store_reader_version(f->r) != v);
    assert_int_equal(store_apikey_get(f->r, a.k.id, &got), STORE_OK);
    assert_true(got.revoked_at == NOW_MS + 1000);

    store *other;
    char err[256];
    assert_int_equal(store_open(&other, f->dir, err, sizeof err), STORE_OK);
    key_arg b = a;
    b.k.id = 0;
    snprintf(b.k.name, sizeof b.k.name, "from elsewhere");
    v = store_reader_version(f->r);
    assert_int_equal(store_run(other, key_insert, &b), STORE_OK);
    assert_true(store_reader_version(f->r) != v);
    assert_int_equal(store_apikey_get(f->r, b.k.id, &got), STORE_OK);
    assert_string_equal(got.name, "from elsewhere");
    b.id = b.k.id;
    assert_int_equal(store_run(other, key_revoke, &b), STORE_OK);
    assert_int_equal(store_apikey_get(f->r, b.k.id, &got), STORE_OK);
    assert_true(got.revoked_at == NOW_MS + 1000);
    store_close(other);

    store_reader_release(f->r);
    store_reader_release(f->r); /* nothing held: a no-op */
    assert_int_equal(store_apikey_get(f->r, b.k.id, &got), STORE_OK);
    assert_true(got.revoked_at == NOW_MS + 1000);
}

/* ---- listing ---- */

typedef struct ids {
    int64_t id[64];
    int n;
} ids;

static void collect(const member *m, void *arg)
{
    ids *l = arg;
    if (l->n < 64)
        l->id[l->n++] = m->id;
}

static int list(fixture *f, store_member_filter flt, ids *out)
{
    int count = -1;
    memset(out, 0, sizeof(*out));
    assert_int_equal(store_member_list(f->r, &flt, "IR", collect, out, &count), STORE_OK);
    assert_int_equal(count, out->n);
    return count;
}

typedef struct erase_arg {
    int64_t id;
} erase_arg;

static int erase_member(store_tx *tx, void *p)
{
    member m;
    int st = store_tx_member_get(tx, ((erase_arg *)p)->id, &m);
    if (st != STORE_OK)
        return st;
    member_erase(&m, NOW_MS + 1);
    st = store_tx_member_update(tx, &m, NULL);
    member_release(&m);
    return st;
}

static void test_member_list_filters_and_pages_by_id(void **state)
{
    fixture *f = *state;
    struct {
        const char *given, *phone, *email;
        member_kind kind;
        const char *locale;
    } rows[] = {
        {"Ali", "+989121000001", "ali@example.com", MEMBER_KIND_MEMBER, "fa"},
        {"Sara", "+989351000002", "sara@example.org", MEMBER_KIND_PROSPECT, "fa"},
        {"Reza", "+989121000003", "reza@example.com", MEMBER_KIND_MEMBER, "en"},
        {"Alireza", "+989351000004", "alireza@example.net", MEMBER_KIND_PROSPECT, "en"},
        {"Mina", "+989121000005", "mina@example.com", MEMBER_KIND_MEMBER, "fa"},
        {"Alina", "+989121000006", "alina@example.com", MEMBER_KIND_MEMBER, "fa"},
    };
    enum { N = sizeof rows / sizeof rows[0] };
    int64_t id[N];
    for (int i = 0; i < N; i++) {
        member m;
        make_member(&m, rows[i].given, rows[i].phone, rows[i].email, NULL);
        m.kind = rows[i].kind;
        snprintf(m.locale, sizeof m.locale, "%s", rows[i].locale);
        assert_int_equal(insert_one(f, &m), STORE_OK);
        id[i] = m.id;
        member_release(&m);
    }
    /* The last one is erased: it is listed no more. */
    erase_arg e = {id[5]};
    assert_int_equal(store_run(f->s, erase_member, &e), STORE_OK);

    ids got;
    assert_int_equal(list(f, (store_member_filter){.limit = 100}, &got), 5);
    for (int i = 0; i < 5; i++)
        assert_true(got.id[i] == id[i]);

    assert_int_equal(list(f, (store_member_filter){.kind = "prospect", .limit = 100}, &got), 2);
    assert_true(got.id[0] == id[1] && got.id[1] == id[3]);
    assert_int_equal(list(f, (store_member_filter){.locale = "en", .limit = 100}, &got), 2);
    assert_true(got.id[0] == id[2] && got.id[1] == id[3]);
    assert_int_equal(list(f, (store_member_filter){.kind = "member", .locale = "fa", .limit = 100}, &got), 2);
    assert_true(got.id[0] == id[0] && got.id[1] == id[4]);

    /* Paging by after_id with 2 a page visits each member once, in id order. */
    int64_t seen[8];
    int nseen = 0, pages = 0;
    int64_t after = 0;
    for (;;) {
        int n = list(f, (store_member_filter){.after_id = after, .limit = 2}, &got);
        if (n == 0)
            break;
        assert_true(n <= 2);
        pages++;
        for (int i = 0; i < n && nseen < 8; i++)
            seen[nseen++] = got.id[i];
        after = got.id[n - 1];
    }
    assert_int_equal(pages, 3);
    assert_int_equal(nseen, 5);
    for (int i = 0; i < 5; i++)
        assert_true(seen[i] == id[i]);
    assert_int_equal(list(f, (store_member_filter){.after_id = id[4], .limit = 100}, &got), 0);

    /* Search: name prefix, email prefix, phone prefix typed nationally. */
    assert_int_equal(list(f, (store_member_filter){.q = "ali", .limit = 100}, &got), 2);
    assert_true(got.id[0] == id[0] && got.id[1] == id[3]);
    assert_int_equal(list(f, (store_member_filter){.q = "sara@", .limit = 100}, &got), 1);
    assert_true(got.id[0] == id[1]);
    assert_int_equal(list(f, (store_member_filter){.q = "0935", .limit = 100}, &got), 2);
    assert_true(got.id[0] == id[1] && got.id[1] == id[3]);
    assert_int_equal(list(f, (store_member_filter){.q = "0935", .kind = "prospect", .after_id = id[1], .limit = 100},
                          &got),
                     1);
    assert_true(got.id[0] == id[3]);
    /* The erased member's old name no longer matches. */
    assert_int_equal(list(f, (store_member_filter){.q = "alina", .limit = 100}, &got), 0);
}

/* ---- backup and reopening ---- */

static int64_t count_in_file(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        fprintf(stderr, "%s: %s\n", path, db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_backup_copies_every_member(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 25; i++) {
        member m;
        char phone[32];
        snprintf(phone, sizeof phone, "+98912%07d", 2000000 + i);
        make_member(&m, "backup", phone, NULL, NULL);
        assert_int_equal(insert_one(f, &m), STORE_OK);
        member_release(&m);
    }
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/backup.db", f->dir);
    assert_int_equal(store_backup(f->s, path, err, sizeof err), STORE_OK);
    assert_true(count_in_file(path, "SELECT count(*) FROM members") == 25);
    assert_true(count_in_file(path, "PRAGMA user_version") == store_migrations_count);

    char bad[192];
    snprintf(bad, sizeof bad, "%s/no/such/dir/backup.db", f->dir);
    err[0] = '\0';
    assert_int_equal(store_backup(f->s, bad, err, sizeof err), STORE_ERROR);
    assert_true(err[0] != '\0');
}

static void test_reopened_store_keeps_its_data_and_schema(void **state)
{
    fixture *f = *state;
    member m;
    make_member(&m, "ماندگار", "+989121234567", "kept@example.com", "KEEP");
    json_object_set_new(m.attributes, "k", json_integer(1));
    assert_int_equal(insert_one(f, &m), STORE_OK);
    store_reader_close(f->r);
    store_close(f->s);
    f->r = NULL;

    char err[256];
    assert_int_equal(store_open(&f->s, f->dir, err, sizeof err), STORE_OK);
    f->r = store_reader_open(f->s);
    assert_non_null(f->r);
    assert_int_equal(store_schema_version(f->s), store_migrations_count);
    member got;
    assert_int_equal(store_member_get(f->r, m.id, &got), STORE_OK);
    assert_string_equal(got.given_name, "ماندگار");
    assert_string_equal(got.email, "kept@example.com");
    assert_int_equal(json_integer_value(json_object_get(got.attributes, "k")), 1);
    member_release(&got);
    /* Uniqueness still holds across the reopen. */
    member again;
    make_member(&again, "other", NULL, NULL, "KEEP");
    assert_int_equal(insert_one(f, &again), STORE_CONFLICT);
    member_release(&again);
    member_release(&m);
}

static void test_open_refuses_a_database_newer_than_the_program(void **state)
{
    fixture *f = *state;
    store_reader_close(f->r);
    store_close(f->s);
    f->r = NULL;
    f->s = NULL;
    char path[128], pragma[64];
    snprintf(path, sizeof path, "%s/bashgah.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", store_migrations_count + 1);
    assert_int_equal(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256] = "";
    assert_int_equal(store_open(&f->s, f->dir, err, sizeof err), STORE_ERROR);
    assert_null(f->s);
    assert_non_null(strstr(err, "newer"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_applies_every_migration),
        T(test_close_of_null_is_a_no_op),
        T(test_inserted_member_reads_back_field_for_field),
        T(test_member_write_keeps_the_writer_cache_size),
        T(test_member_without_phone_email_or_ref_may_be_many),
        T(test_unique_conflict_names_the_field_and_keeps_nothing),
        T(test_update_conflict_names_the_field_and_changes_nothing),
        T(test_run_that_refuses_its_input_writes_nothing),
        T(test_writer_commits_jobs_from_many_threads_before_reporting_done),
        T(test_writer_groups_queued_jobs_into_one_commit),
        T(test_failing_job_in_a_batch_does_not_spoil_the_others),
        T(test_submit_without_a_running_writer_is_refused),
        T(test_savepoint_rollback_inside_a_job_keeps_the_outer_work),
        T(test_savepoints_work_inside_writer_jobs_too),
        T(test_idempotency_records_put_get_and_purge),
        T(test_user_insert_and_failed_logins_counted_within_the_window),
        T(test_api_key_insert_and_revoke_once),
        T(test_held_reader_sees_every_finished_commit_and_counts_them),
        T(test_member_list_filters_and_pages_by_id),
        T(test_backup_copies_every_member),
        T(test_reopened_store_keeps_its_data_and_schema),
        T(test_open_refuses_a_database_newer_than_the_program),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
