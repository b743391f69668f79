/* The points ledger as operations inside a write transaction: earning into lots, spending the lots that expire
 * first, reversing a purchase, adjustments, transfers, maturing pending points and expiring old ones.
 * Invariants kept by every function here (and checked by `bashgah verify`):
 *  - every change is a posting from one account to another ('member:ID', 'club:issued', 'club:redeemed',
 *    'club:expired', 'club:adjustment'), so the sum over all accounts is zero;
 *  - a member's points_available + points_pending equals the balance of 'member:ID';
 *  - points_pending is the remaining of the member's unmatured lots; points_available is the remaining of the
 *    matured lots, less what the member owes (a negative points_available) after a return;
 *  - club_accounts.balance equals the sum of that account's postings. */
#ifndef BASHGAH_APP_POINTS_H
#define BASHGAH_APP_POINTS_H

#include <jansson.h>
#include <stdint.h>

#include "core/errlist.h"
#include "store/store.h"

typedef store_programme points_programme;

typedef struct points_balance {
    int64_t available, pending, lifetime;
} points_balance;

/* Who and why, for the postings. */
typedef struct points_ref {
    const char *kind;       /* earn | return | redeem | redeem_cancel | expire | adjust | transfer */
    const char *actor;      /* e.g. "apikey:3" */
    int64_t transaction_id; /* 0: none */
    int64_t redemption_id;  /* 0: none */
    json_t *explanation;    /* borrowed; may be NULL */
    const char *explanation_text; /* the same as compact JSON text when the caller has it; may be NULL */
} points_ref;

/* What an operation adds to the member's points aggregates (member_stats.points_*). */
typedef struct points_delta {
    int64_t available, pending, lifetime;
} points_delta;

int points_programme_get(store_tx *tx, points_programme *out);
json_t *points_programme_json(const points_programme *p);
/* Applies a JSON merge of settings onto p; errors name the field. */
int points_programme_apply(points_programme *p, json_t *body, errlist *e);
int points_balance_get(store_tx *tx, int64_t member_id, points_balance *out);

/* Issues points to a member as a new lot (pending for the programme's pending_days; expiring by its policy).
 * What the member owes is repaid first. */
int points_earn(store_tx *tx, const points_programme *p, int64_t member_id, int64_t points, int64_t now,
                const points_ref *ref);
/* points_earn from another account than club:issued (a campaign's "campaign:ID"): the same lot, counted in the
 * member's lifetime points when ref->kind is "earn". */
int points_earn_from(store_tx *tx, const points_programme *p, int64_t member_id, int64_t points, int64_t now,
                     const char *from_account, const points_ref *ref);
/* points_earn for a caller that read the member's aggregates (mp) in this job and writes them itself, together
 * with its own (a purchase): adds the lot and posting only, and says in *d what to add to the member's points. */
int points_earn_lot(store_tx *tx, const points_programme *p, const store_member_points *mp, int64_t member_id,
                    int64_t points, int64_t now, const points_ref *ref, points_delta *d);
/* Takes points from the member's available lots, those expiring first, to to_account ('club:redeemed' ...).
 * STORE_INVALID when the member has fewer available points. */
int points_spend(store_tx *tx, int64_t member_id, int64_t points, int64_t now, const char *to_account,
                 const points_ref *ref);
/* Gives back points taken by points_spend (a cancelled redemption) as a new lot from from_account. */
int points_refund(store_tx *tx, const points_programme *p, int64_t member_id, int64_t points, int64_t now,
                  const char *from_account, const points_ref *ref);
/* Reverses up to points earned by a purchase: from its own lots first, then others, then (policy "negative")
 * as a debt. *reversed is how many were taken back. */
int points_reverse(store_tx *tx, const points_programme *p, int64_t member_id, int64_t transaction_id,
                   int64_t points, int64_t now, const points_ref *ref, int64_t *reversed);
/* A manager's adjustment: positive gives, negative takes (never below zero available). */
int points_adjust(store_tx *tx, const points_programme *p, int64_t member_id, int64_t delta, int64_t now,
                  const points_ref *ref);
int points_transfer(store_tx *tx, const points_programme *p, int64_t from_member, int64_t to_member, int64_t points,
                    int64_t now, const points_ref *ref);
/* Time-driven changes, for the jobs: pending lots that became available, and lots past their expiry (with
 * warnings N days before). Each handles at most limit lots and returns how many it did in *done. */
int points_mature(store_tx *tx, int64_t now, int limit, int *done);
int points_expire(store_tx *tx, const points_programme *p, int64_t now, int limit, int *done);

#endif
