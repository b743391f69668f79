/* The sending threads' common ground (outbox_thread.h). */
#include "jobs/outbox_thread.h"

#include <time.h>

#include "base/log.h"

bool outbox_thread_stopping(outbox_thread *t)
{
    pthread_mutex_lock(&t->lock);
    bool stop = t->stopping != 0;
    pthread_mutex_unlock(&t->lock);
    return stop;
}

void outbox_thread_stop(outbox_thread *t)
{
    pthread_mutex_lock(&t->lock);
    t->stopping = 1;
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

void outbox_thread_nap(outbox_thread *t, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&t->lock);
    if (!t->stopping)
        pthread_cond_timedwait(&t->wake, &t->lock, &until);
    pthread_mutex_unlock(&t->lock);
}

typedef struct record_job {
    store_job job; /* first: the writer hands it back to record_done */
    outbox_thread *t;
    const store_outbox_outcome *outcomes;
    int n;
    int finished; /* under t->lock */
} record_job;

static int record_all(store_tx *tx, void *arg)
{
    record_job *r = arg;
    for (int i = 0; i < r->n; i++) {
        int status = store_tx_outbox_record(tx, &r->outcomes[i]);
        if (status != STORE_OK)
            return status;
    }
    return STORE_OK;
}

static void record_done(store_job *job)
{
    record_job *r = (record_job *)job;
    pthread_mutex_lock(&r->t->lock);
    r->finished = 1;
    pthread_cond_broadcast(&r->t->wake);
    pthread_mutex_unlock(&r->t->lock);
}

int outbox_thread_record(outbox_thread *t, const store_outbox_outcome *outcomes, int n)
{
    record_job r = {.t = t, .outcomes = outcomes, .n = n};
    r.job = (store_job){.fn = record_all, .arg = &r, .done = record_done};
    int status;
    while ((status = store_submit(t->s, &r.job)) == STORE_FULL)
        outbox_thread_nap(t, 50);
    if (status != STORE_OK)
        return status;
    pthread_mutex_lock(&t->lock);
    while (!r.finished)
        pthread_cond_wait(&t->wake, &t->lock);
    pthread_mutex_unlock(&t->lock);
    if (r.job.status != STORE_OK)
        log_msg(LOG_WARN, "outbox_record_failed", "thread=%s status=%d messages=%d", t->name, r.job.status, n);
    return r.job.status;
}
