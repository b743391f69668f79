/* RFM scores and the lifetime-value estimate, pure. Called by src/app/classes.c (the recompute over every
 * customer, and one buyer at a purchase) and by the benchmark; docs/classes.md explains both to staff.
 *
 * Scores 1..5 are quintiles over the customers with purchases: R by the time of the last purchase (recent is
 * high), F by the number of purchases, M by the money spent. Ties: equal values always get the same score,
 * the score of the middle of the run of sorted positions they occupy: a value held at positions lo..hi-1 of n
 * sorted values scores 1 + floor(5 * (lo + hi) / (2n)). With distinct values that is exactly the quintile of
 * the position (n = 10: two customers per score); all equal values score 3; one customer scores 3; two score
 * 2 and 4; three 1, 3, 5; four 1, 2, 4, 5.
 *
 * Because the score only grows with the value, it is also given by four cut values (the smallest value that
 * reaches scores 2..5): rfm_score_one() scores any value, one that was not in the population too (a buyer
 * between two recomputes), with the cuts of the last recompute. */
#ifndef BASHGAH_CORE_RFM_H
#define BASHGAH_CORE_RFM_H

#include <stddef.h>
#include <stdint.h>

#define RFM_SCORE_MAX 5

/* cut[s] for s = 2..5: the smallest value with a score of s or more (INT64_MAX when none); cut[0..1] unused. */
typedef struct rfm_cuts {
    int64_t cut[RFM_SCORE_MAX + 1];
} rfm_cuts;

typedef struct rfm_all_cuts {
    rfm_cuts r, f, m;
    int64_t customers; /* how many were scored; 0: never computed, no cuts */
} rfm_all_cuts;

/* The cuts of values[0..n): scratch must hold 2n int64 (it receives a sorted copy). n 0 gives no cuts. */
void rfm_cuts_of(const int64_t *values, size_t n, int64_t *scratch, rfm_cuts *out);
/* The score (1..5) of value v under cuts c. */
int rfm_score_one(const rfm_cuts *c, int64_t v);
/* Sorts a[0..n) ascending; tmp holds n int64. A radix sort: linear in n, for a million customers. */
void rfm_sort(int64_t *a, int64_t *tmp, size_t n);

/* The lifetime-value estimate in money minor units: the spend still expected over the next horizon_days at the
 * member's own rate so far, average order value x purchase rate x horizon, that is
 *   total_spent x horizon / max(now - first purchase, min_tenure_days)
 * (the minimum tenure keeps a brand-new customer's single purchase from reading as a very high rate).
 * 0 for no purchases or nothing spent (all returned). */
int64_t rfm_value(int64_t purchase_count, int64_t total_spent_minor, int64_t first_purchase_at, int64_t now,
                  int horizon_days, int min_tenure_days);

#endif
