/* Classes, RFM scores and value kept on the member rows: after each purchase or return (in its commit), and by
 * the recompute (the daily job and POST /api/v1/classes/recompute) over everyone. Rules: src/core/classes.h and
 * src/core/rfm.h; for staff: docs/classes.md.
 *
 * Invariant: a member's class, scores and value are those of the rules at the time they were last written
 * (class_since, rfm_at); every change of class is a row of class_changes with its reason: 'purchase' or
 * 'return' (in that commit), 'time' (time alone moved the member: new -> occasional, -> at_risk, -> lapsed) or
 * 'recompute' (the new RFM scores moved them, or the settings changed). */
#ifndef BASHGAH_APP_CLASSES_H
#define BASHGAH_APP_CLASSES_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define CLASSES_CHUNK 2000 /* members per write transaction of the recompute, so purchases are never starved */

typedef struct classes_summary {
    int64_t customers; /* members with purchases, the RFM population */
    int64_t members;   /* members looked at */
    int64_t written;   /* rows whose class, scores or value were written */
    int64_t changed;   /* class changes (history rows) */
    int64_t chunks;    /* write transactions */
    double compute_ms; /* reading the aggregates and computing the cuts */
    double write_ms;   /* scoring, classifying and writing, chunk by chunk */
} classes_summary;

/* In a purchase's commit: from the buyer's class record cur, with the aggregates as this purchase leaves them,
 * *next gets first_purchase_at, scores (against the cuts of the last recompute), value and class, and *moved
 * whether the class moves (then a class_changes row is written here). The caller writes next with the
 * aggregates in its one update of the member row (store_tx_member_purchase_apply). */
int classes_on_purchase(store_tx *tx, const store_member_class *cur, int64_t occurred_at, int64_t now,
                        store_member_class *next, bool *moved);
/* The same in a return's commit (the spend went down). */
int classes_on_return(store_tx *tx, int64_t member_id, int64_t now);

/* Reads every customer's aggregates and computes the RFM cuts (no writes), on two threads, each with a reader
 * of its own over half the member ids (a million members are a scan of the whole members table). pop, when not
 * NULL, receives the population (the caller releases it). */
int classes_compute_cuts(store *s, rfm_all_cuts *out, store_class_population *pop);
/* Recomputes scores, values and classes of every member at now, in chunks of CLASSES_CHUNK members, each its own
 * write transaction (through the writer when writer_running, else store_run on this thread). Never call it on
 * the writer thread. One recompute runs at a time; a second waits for the first. */
int classes_recompute(store *s, int64_t now, bool writer_running, classes_summary *out);

#endif
