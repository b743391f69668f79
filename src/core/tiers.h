/* Tier qualification, pure: which tier a member's activity within each tier's rolling window reaches, when that
 * qualification lapses as old activity leaves the window, and what follows (an upgrade at once; a downgrade only
 * once the review date has passed). No I/O and no clock: callers pass the tiers, the activity and now.
 * Called by src/app/tiers.c, which reads the activity and keeps members' tiers. Prefix tier_ (the app layer's
 * src/app/tiers.c owns tiers_).
 *
 * The review date: a member in a tier that has a threshold carries the date at which the tier must next be
 * looked at. While they qualify it is the day their qualification would lapse without new activity plus the
 * tier's grace days; seen not qualifying without a date, it becomes now + grace days. At or after it a member who
 * still does not qualify moves down to the tier they do qualify for; one who does gets the next date. */
#ifndef BASHGAH_CORE_TIERS_H
#define BASHGAH_CORE_TIERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIER_DAY_MS INT64_C(86400000)
#define TIER_RANK_MAX 1000
#define TIER_WINDOW_DAYS_MAX 3660
#define TIER_GRACE_DAYS_MAX 3660
#define TIER_THRESHOLD_MAX INT64_C(1000000000000000) /* 10^15 minor units or points */
#define TIER_MULTIPLIER_MAX 100000                    /* permille: x100 */

typedef enum tier_basis { TIER_BASIS_POINTS, TIER_BASIS_SPEND } tier_basis;

/* What qualification needs from a tier. */
typedef struct tier_rule {
    int64_t id;
    int64_t rank; /* 0: the entry tier; higher is better */
    tier_basis basis;
    int64_t threshold;
    int64_t window_days;
    int64_t grace_days;
    int64_t multiplier_permille;
} tier_rule;

/* One piece of activity: points earned (negative: reversed by a return), or money spent (negative: returned). */
typedef struct tier_event {
    int64_t at;
    int64_t amount;
} tier_event;

const char *tier_basis_name(tier_basis b);
/* 0, or -1 when name is not "points" or "spend". */
int tier_basis_from_name(const char *name, tier_basis *out);

/* Activity strictly after this time counts towards t at now. */
int64_t tier_window_start(const tier_rule *t, int64_t now);

/* The index in tiers (sorted by rank, ascending) of the highest tier whose threshold metric[i] (the member's
 * activity measured by that tier's basis and window) reaches; -1 when none. */
int tier_qualified(const tier_rule *tiers, int n, const int64_t *metric);

/* When a qualification for threshold lapses without new activity: the events (ascending by at, all inside the
 * window) leave it at at + window_ms; the answer is the first such time the sum of those still inside is below
 * threshold. 0 when that never happens (threshold <= 0); 1 (long past) when the events do not reach it now. */
int64_t tier_lapse_at(const tier_event *ev, size_t n, int64_t threshold, int64_t window_ms);

typedef struct tier_decision {
    int to;            /* index of the member's tier afterwards, -1: none */
    bool changed;      /* to differs from the current tier */
    bool needs_lapse;  /* the caller computes tier_lapse_at for tiers[to] and sets review_at with
                        * tier_review_date; review_at below is then not meaningful */
    int64_t review_at; /* 0: none */
} tier_decision;

/* What to do with a member in tier index current (-1: none) with review date review_at (0: none), who qualifies
 * for index qualified (tier_qualified), at now. */
tier_decision tier_decide(const tier_rule *tiers, int n, int current, int64_t review_at, int qualified, int64_t now);
/* The review date for a member who qualifies for t until lapse_at (tier_lapse_at), at now: lapse_at + grace days
 * (never before now + 1 ms, so a review always moves on); 0 when the qualification never lapses. */
int64_t tier_review_date(const tier_rule *t, int64_t lapse_at, int64_t now);

#endif
