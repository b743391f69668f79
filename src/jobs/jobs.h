/* Background work that time alone causes: pending points becoming available, points expiring (with warnings
 * before), tier reviews, forgetting old idempotency records, and the daily recompute of classes, RFM scores and
 * values. A table of jobs, each with its interval; the server ticks it from one loop thread and every due job runs
 * as a write on the store's writer, so jobs and requests never race. Each job does a bounded amount per run and
 * runs again at once while there is more. The recompute must read every member first: it runs on the worker pool
 * and writes in chunks through the writer (app/classes.h). */
#ifndef BASHGAH_JOBS_H
#define BASHGAH_JOBS_H

#include <stdint.h>

#include "store/store.h"

/* Queues the jobs that are due at now. Called often (every loop iteration); cheap when nothing is due. */
void jobs_tick(store *s, int64_t now);
/* Makes the job named run at the next tick instead of at its time (new work for it was just committed, e.g. a
 * campaign's launch for "grant_campaigns"). Any thread; unknown names are ignored. */
void jobs_wake(const char *name);
/* Runs every job until none has more to do, synchronously (for the CLI and tests). */
int jobs_run_all(store *s, int64_t now);

#endif
