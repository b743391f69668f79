/* The job table and its ticking. A job runs inside one writer transaction; it reports whether it has more. */
#include "jobs/jobs.h"

#include <stdlib.h>

#include "app/points.h"
#include "app/surveys.h"
#include "app/tiers.h"
#include "base/log.h"

#define BATCH STORE_LOTS_MAX /* lots or members handled per run, so a run never holds the writer for long */
#define MINUTE_MS (60LL * 1000)
#define IDEM_KEEP_MS (24LL * 3600 * 1000)

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

static struct job {
    const char *name;
    store_write_fn fn;
    int64_t every_ms;
    int64_t next_at;  /* touched only by the ticking thread */
    int running;      /* set by the ticking thread, cleared by the writer: atomic */
} jobs[] = {
    {"mature_points", job_mature, MINUTE_MS, 0, 0},
    {"expire_points", job_expire, MINUTE_MS, 0, 0},
    {"review_tiers", job_tiers, 60 * MINUTE_MS, 0, 0},
    {"forget_idempotency_keys", job_idempotency, 60 * MINUTE_MS, 0, 0},
    {"survey_reminders", job_survey_reminders, 60 * MINUTE_MS, 0, 0},
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
}

int jobs_run_all(store *s, int64_t now)
{
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
