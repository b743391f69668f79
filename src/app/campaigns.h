/* Campaigns' use cases inside a write transaction: launching one (its audience as a roll-out wave), the executor
 * that grants the offer to the treated members due, the multiplier a purchase gets from a live campaign, and the
 * job that runs the executor over every live campaign in bounded chunks (docs/campaigns.md).
 *
 * Invariant: a grant, the spend it adds to its campaign, its postings and costs, and the assignment row marked
 * granted (or refused) share one commit; a grant that would pass budget_points or budget_money_minor is refused in
 * that commit, so a crash, a job run twice or any number of concurrent purchases never overspends or grants twice. */
#ifndef BASHGAH_APP_CAMPAIGNS_H
#define BASHGAH_APP_CAMPAIGNS_H

#include <stdbool.h>
#include <stdint.h>

#include "app/points.h"
#include "core/campaign.h"
#include "core/rules.h"
#include "store/store.h"

#define CAMPAIGN_GRANT_CHUNK 5000   /* treated members granted in one writer job */
#define CAMPAIGN_AUDIENCE_CHUNK 20000 /* audience members assigned in one writer job */

/* Grants the offer of campaign_id to at most limit treated members due (arm pilot or rollout, granted_at and
 * refused NULL), if the campaign is live and its window has begun; *granted counts the rows handled (granted or
 * refused). Declared here for the pilots' draw, which may call it to start granting at once. */
int campaign_grant_due(store_tx *tx, int64_t campaign_id, int64_t now, int limit, int *granted);
/* Moves campaign id from state `from` to `to` (from NULL: its creation, only recorded), records the change with
 * who and why, and emits the webhook event campaign.state_changed, all in the caller's job. A move to the state it
 * is already in records nothing. STORE_CONFLICT when the campaign is not in `from`. */
int campaigns_state_change(store_tx *tx, int64_t id, const char *from, const char *to, const char *actor,
                           const char *reason, int64_t now);

/* The executor's job: one more chunk of each launch still being assigned, pilots whose window ended move to
 * evaluating, then live campaigns are granted, at most limit rows in all; *done is how many were handled (limit when
 * a launch has more to assign). */
int campaigns_grant_run(store_tx *tx, int64_t now, int limit, int *done);

/* Starts assigning the audience of campaign c as one roll-out wave: each member in arm rollout, or holdout when the
 * seeded draw keeps them out (holdout_share_permille). The first CAMPAIGN_AUDIENCE_CHUNK members are assigned here
 * (*treated and *holdout count them); when *more, the grant job assigns the rest a chunk per run (the wave's
 * assigned_upto), so no writer job holds the writer for a whole large audience. */
int campaign_launch_assign(store_tx *tx, const store_campaign *c, int64_t seed, const char *actor, int64_t now,
                           int64_t *treated, int64_t *holdout, bool *more);

/* Opens the audience of c for the store: a segment's filter is compiled for now and the club's zone into sql
 * (segment_sql_release it in every case). STORE_INVALID when the audience or its segment is gone or unusable. */
int campaign_audience_open(store_tx *tx, store_reader *r, const char *audience_json, int64_t now,
                           store_campaign_audience *a, segment_sql *sql, char *class_name, size_t cap);

/* The purchase path's seam: for each live multiplier campaign whose window holds occurred_at and in which the
 * member was granted, adds the extra points (posted from campaign:ID in this commit) and a line naming the campaign
 * to res; a purchase whose extra would pass the cap gets none, and a line says so. Costs nothing but a look at the
 * writer's cache when no multiplier campaign is live. */
int campaigns_on_purchase(store_tx *tx, const points_programme *p, int64_t member_id, int64_t occurred_at,
                          int64_t now, rule_result *res);

#endif
