/* The moments job: gives each active moment's gift to the members whose local day it is, once their local time has
 * reached the moment's send hour (and later that same local day after downtime, never the next). It finds them
 * through an index of the date's month-day with the time zone (store_tx_moment_candidates), never a scan of the
 * members. Each gift (points as a lot from 'moment:ID', a reward as a redemption, their costs, the message in the
 * outbox) is written in the commit of its moment_grants row, whose key (moment, member, year) makes it happen once:
 * a restart, a clock jump or a second run finds the row and gives nothing. Called by jobs.c on the writer. */
#ifndef BASHGAH_JOBS_MOMENTS_H
#define BASHGAH_JOBS_MOMENTS_H

#include <stdint.h>

#include "store/store.h"

#define MOMENTS_RUN_MAX 256          /* gifts (and holdouts, skips) one run records */
#define MOMENTS_CANDIDATES_MAX 50000 /* members one month-day query may return */

/* One run at now: records at most limit outcomes; *done is how many (limit: there may be more). */
int moments_run(store_tx *tx, int64_t now, int limit, int *done);

#endif
