/* What the outbox's sending threads (delivery.c for email and SMS, webhooks.c) share: a stop flag and a wake-up
 * under one lock, a nap that a stop cuts short, and the recording of a batch's outcomes through the writer. */
#ifndef BASHGAH_JOBS_OUTBOX_THREAD_H
#define BASHGAH_JOBS_OUTBOX_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef struct outbox_thread {
    const char *name; /* names the thread in the log */
    store *s;
    int stopping; /* under lock */
    pthread_mutex_t lock;
    pthread_cond_t wake;
} outbox_thread;

#define OUTBOX_THREAD_INIT(thread_name) \
    {.name = (thread_name), .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER}

bool outbox_thread_stopping(outbox_thread *t);
/* Asks the thread to stop and wakes it from its nap. */
void outbox_thread_stop(outbox_thread *t);
/* Sleeps up to ms, waking early when asked to stop. */
void outbox_thread_nap(outbox_thread *t, int64_t ms);
/* Records n outcomes in one writer job and waits for its commit (a full queue is waited out). Returns the job's
 * status; on failure the messages stay due and are sent again: at least once. */
int outbox_thread_record(outbox_thread *t, const store_outbox_outcome *outcomes, int n);

#endif
