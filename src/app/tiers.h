/* Tiers: a member's tier from what they earned or spent within the tier's rolling window. Upgrades happen at
 * once (after a purchase); downgrades only at the review date, after the grace period. */
#ifndef BASHGAH_APP_TIERS_H
#define BASHGAH_APP_TIERS_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

typedef struct tier_info {
    int64_t id; /* 0: no tier */
    char name_en[129], name_fa[129];
    int multiplier_permille; /* 1000 when no tier */
} tier_info;

/* Re-evaluates the member's tier after a purchase, return or adjustment at now (upgrades at once; a lower
 * qualification only schedules the review). Writes tier_changes and a 'tier_changed' notice on a change. */
int tiers_reevaluate(store_tx *tx, int64_t member_id, int64_t now, tier_info *out);
/* The same for a caller that read the member's place in the tiers (mt) in this job. */
int tiers_reevaluate_known(store_tx *tx, const store_member_tier *mt, int64_t now, tier_info *out);
/* The member's current tier. */
int tiers_member(store_tx *tx, int64_t member_id, tier_info *out);
int tiers_member_known(store_tx *tx, const store_member_tier *mt, tier_info *out);
/* The member's tier and progress to the next, for the member record (new reference). */
json_t *tiers_member_json(store_reader *r, int64_t member_id, int64_t now);
/* The daily review: members whose review date has passed are moved down when they no longer qualify. */
int tiers_review(store_tx *tx, int64_t now, int limit, int *done);

#endif
