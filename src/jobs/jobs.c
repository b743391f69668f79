/* The job table and its ticking. A job runs inside one writer transaction; it reports whether it has more. */
#include "jobs/jobs.h"

#include <stdlib.h>
#include <string.h>

#include "app/campaigns.h"
#include "app/classes.h"
#include "app/points.h"
#include "app/surveys.h"
#include "app/tiers.h"
#include "base/log.h"
#include "base/worker.h"

#define BATCH STORE_LOTS_MAX /* lots or members handled per run, so a run never holds the writer for long */
#define MINUTE_MS (60LL * 1000)
#define IDEM_KEEP_MS (24LL * 3600 * 1000)
#define DAY_MS (24LL * 3600 * 1000)

typedef struct job_run {
    int64_t now;
    int done; /* how many things it handled: BATCH or more means there may be more */
} job_run;

static int job_mature(store_tx *tx, void *arg)
{
    job_run *run = arg;
    return points_mature(tx, run->now, BATCH, &run->done);
}

static int job_expire(store_tx *tx, void *arg)
{
    job_run *run = arg;
    points_programme p;
    int status = points_programme_get(tx, &p);
    return status == STORE_OK ? points_expire(tx, &p, run->now, BATCH, &run->done) : status;
}

static int job_tiers(store_tx *tx, void *arg)
{
    job_run *run = arg;
    return tiers_review(tx, run->now, BATCH, &run->done);
}

static int job_idempotency(store_tx *tx, void *arg)
{
    job_run *run = arg;
    run->done = 0;
    return store_tx_idem_purge(tx, run->now - IDEM_KEEP_MS);
}

static int job_survey_reminders(store_tx *tx, void *arg)
{
    job_run *run = arg;
    int status = survey_reminders_run(tx, run->now, &run->done);
    run->done = run->done >= SURVEY_REMINDER_BATCH_MAX ? BATCH : 0; /* a full batch: run again */
    return status;
}

/* The campaigns' executor: a chunk of grants per run, again at the next tick while there are more. */
static int job_campaigns(store_tx *tx, void *arg)
{
    job_run *run = arg;
    int handled = 0;
    int status = campaigns_grant_run(tx, run->now, CAMPAIGN_GRANT_CHUNK, &handled);
    run->done = handled >= CAMPAIGN_GRANT_CHUNK ? BATCH : 0;
    return status;
}

static struct job {
    const char *name;
    store_write_fn fn;
    int64_t every_ms;
    int64_t next_at;  /* the ticking thread's, but for job_done and jobs_wake setting it 0 */
    int running;      /* set by the ticking thread, cleared by the writer: atomic */
} jobs[] = {
    {"mature_points", job_mature, MINUTE_MS, 0, 0},
    {"expire_points", job_expire, MINUTE_MS, 0, 0},
    {"review_tiers", job_tiers, 60 * MINUTE_MS, 0, 0},
    {"forget_idempotency_keys", job_idempotency, 60 * MINUTE_MS, 0, 0},
    {"survey_reminders", job_survey_reminders, 60 * MINUTE_MS, 0, 0},
    {"grant_campaigns", job_campaigns, MINUTE_MS, 0, 0},
};

typedef struct queued_job {
    store_job job;
    struct job *j;
    job_run run;
} queued_job;

static void job_done(store_job *sj)
{
    queued_job *q = (queued_job *)sj;
    if (sj->status != STORE_OK)
        log_msg(LOG_WARN, "job_failed", "job=%s status=%d", q->j->name, sj->status);
    if (q->run.done >= BATCH)
        q->j->next_at = 0; /* more to do: run again at the next tick (a benign race with the ticking thread) */
    __atomic_store_n(&q->j->running, 0, __ATOMIC_RELEASE);
    free(q);
}

static void offloaded_tick(store *s, int64_t now);

void jobs_wake(const char *name)
{
    for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
        if (strcmp(jobs[i].name, name) == 0)
            __atomic_store_n(&jobs[i].next_at, 0, __ATOMIC_RELEASE); /* the ticking thread reads it next */
}

void jobs_tick(store *s, int64_t now)
{
    for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
        struct job *j = &jobs[i];
        if (__atomic_load_n(&j->running, __ATOMIC_ACQUIRE) || now < j->next_at)
            continue;
        queued_job *q = calloc(1, sizeof(*q));
        if (!q)
            abort(); /* out of memory */
        q->j = j;
        q->run.now = now;
        q->job.fn = j->fn;
        q->job.arg = &q->run;
        q->job.done = job_done;
        j->next_at = now + j->every_ms;
        __atomic_store_n(&j->running, 1, __ATOMIC_RELEASE);
        if (store_submit(s, &q->job) != STORE_OK) {
            __atomic_store_n(&j->running, 0, __ATOMIC_RELEASE);
            j->next_at = now; /* the queue is full: try at the next tick */
            free(q);
        }
    }
    offloaded_tick(s, now);
}

/* ---- jobs that read everything before they write: they run on the worker pool and write in chunks through
 * the writer themselves (a job on the writer could not wait for its own chunks) ---- */

static int job_classes(store *s, int64_t now, bool writer_running)
{
    classes_summary sum;
    return classes_recompute(s, now, writer_running, &sum);
}

static struct offloaded {
    const char *name;
    int (*fn)(store *s, int64_t now, bool writer_running);
    int64_t every_ms;
    int64_t first_after_ms; /* the first run waits this long after the server starts */
    int64_t next_at;        /* touched only by the ticking thread; 0: not yet scheduled */
    int running;            /* set by the ticking thread, cleared by the worker: atomic */
} offloaded[] = {
    /* not at once: a restart should not cost a full pass while the server warms up */
    {"recompute_classes", job_classes, DAY_MS, 5 * MINUTE_MS, 0, 0},
};

typedef struct offloaded_run {
    worker_job job;
    struct offloaded *o;
    store *s;
    int64_t now;
} offloaded_run;

static void offloaded_work(worker_job *job)
{
    offloaded_run *run = (offloaded_run *)job;
    int status = run->o->fn(run->s, run->now, true);
    if (status != STORE_OK)
        log_msg(LOG_WARN, "job_failed", "job=%s status=%d", run->o->name, status);
}

static void offloaded_done(worker_job *job)
{
    offloaded_run *run = (offloaded_run *)job;
    __atomic_store_n(&run->o->running, 0, __ATOMIC_RELEASE);
    free(run);
}

static void offloaded_tick(store *s, int64_t now)
{
    for (size_t i = 0; i < sizeof(offloaded) / sizeof(offloaded[0]); i++) {
        struct offloaded *o = &offloaded[i];
        if (o->next_at == 0)
            o->next_at = now + o->first_after_ms;
        if (__atomic_load_n(&o->running, __ATOMIC_ACQUIRE) || now < o->next_at)
            continue;
        offloaded_run *run = calloc(1, sizeof(*run));
        if (!run)
            abort(); /* out of memory */
        *run = (offloaded_run){.job = {.work = offloaded_work, .done = offloaded_done}, .o = o, .s = s, .now = now};
        o->next_at = now + o->every_ms;
        __atomic_store_n(&o->running, 1, __ATOMIC_RELEASE);
        if (worker_submit(&run->job) != 0) {
            __atomic_store_n(&o->running, 0, __ATOMIC_RELEASE);
            o->next_at = now; /* the pool is busy: try at the next tick */
            free(run);
        }
    }
}

int jobs_run_all(store *s, int64_t now)
{
    for (size_t i = 0; i < sizeof(offloaded) / sizeof(offloaded[0]); i++) {
        int status = offloaded[i].fn(s, now, false);
        if (status != STORE_OK)
            return status;
    }
    for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
        job_run run = {now, BATCH};
        for (int rounds = 0; run.done >= BATCH; rounds++) {
            if (rounds == 100000)
                return STORE_ERROR; /* a job that never finishes: better to say so than to hang */
            int status = store_run(s, jobs[i].fn, &run);
            if (status != STORE_OK)
                return status;
        }
    }
    return STORE_OK;
}
