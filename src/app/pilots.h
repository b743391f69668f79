/* A campaign's field study as use cases shared by the HTTP handlers: the pilot draw (a sample and a control group
 * from the same strata, with a recorded seed, excluding everyone already assigned in the campaign), the minimum
 * detectable effect before launch, the evaluation of the campaign's metric per arm, and the roll-out over the
 * rest of the audience with its long-lived holdout. The draws run inside the caller's write transaction; the
 * evaluation reads from a reader. The statistics are src/core/stats_ab.c, the draw src/core/experiment.c. */
#ifndef BASHGAH_APP_PILOTS_H
#define BASHGAH_APP_PILOTS_H

#include <jansson.h>
#include <stdint.h>

#include "core/errlist.h"
#include "store/store.h"

#define PILOT_SEGMENTS_MAX 16      /* segments a draw may be stratified by */
#define PILOT_AUDIENCE_MAX 5000000 /* members one draw may look at */

/* One arm's size as asked: a count, or a share of the audience (those not yet assigned). */
typedef struct pilot_size {
    int64_t count; /* -1: a share */
    double share;
} pilot_size;

/* A draw as asked (POST /campaigns/{id}/pilot or /rollout), checked by pilot_parse or pilot_rollout_parse. */
typedef struct pilot_request {
    pilot_size sample, control; /* rollout: control is the holdout, sample the rest */
    uint64_t seed;
    char stratify_by[8]; /* none | class | segment */
    int64_t segments[PILOT_SEGMENTS_MAX];
    int nsegments;
    /* filled on the loop thread: the audience's members when it is a segment, and each stratifying segment's */
    int64_t *audience_ids;
    size_t naudience;
    int64_t *segment_ids[PILOT_SEGMENTS_MAX];
    size_t segment_n[PILOT_SEGMENTS_MAX];
    /* the baseline of the campaign's metric, read before the draw (for the minimum detectable effect) */
    store_sums baseline;
    bool has_baseline;
} pilot_request;

void pilot_request_release(pilot_request *p);
/* Reads {"sample", "control", "seed"?, "stratify_by"?, "segments"?}; errors name the field. A missing seed is
 * drawn at random (53 bits, so it survives any JSON reader) and returned with the draw. */
int pilot_parse(const json_t *body, pilot_request *p, errlist *e);
/* Reads {"holdout"?: {"share"} | {"count"}, "seed"?, "stratify_by"?, "segments"?} for a roll-out. */
int pilot_rollout_parse(const json_t *body, pilot_request *p, errlist *e);
/* Parses a size ("sample=200" or "sample=0.05" in a query; {"count"} | {"share"} in a body); errors name field. */
void pilot_size_parse_text(const char *text, const char *field, pilot_size *out, errlist *e);
int64_t pilot_size_count(const pilot_size *s, int64_t audience);

/* The draw: a campaign_waves row, the assignment rows and the state change (draft or pilot -> pilot). On a
 * refusal returns STORE_INVALID with e naming the field and *http_status set; nothing is kept. *report (new
 * reference) holds the wave, its strata and the minimum detectable effect. */
int pilot_draw_run(store_tx *tx, int64_t campaign_id, const pilot_request *p, const char *actor, int64_t now,
                   json_t **report, int *http_status, errlist *e);
/* The roll-out: the rest of the audience, less a holdout, as a rollout wave; state -> running. Needs a decision
 * to roll out. Refusals as for the draw. */
int pilot_rollout_run(store_tx *tx, int64_t campaign_id, const pilot_request *p, const char *actor, int64_t now,
                      json_t **report, int *http_status, errlist *e);

/* The metric's baseline over the audience's last metric_days (for the MDE); false when there is no estimate. */
int pilot_baseline(store_reader *r, const store_pilot_campaign *c, int64_t now, store_sums *out);
/* {"metric", "kind": "proportion"|"mean", "baseline": {"n", "value", "sd"}, "treated", "control", "mde"} for the
 * arms' sizes (mde null when it cannot be estimated). New reference. */
json_t *pilot_mde_json(const store_pilot_campaign *c, const store_sums *baseline, int64_t n_t, int64_t n_c);

/* The evaluation (docs/campaigns.md): arms "pilot" (pilot against control) or "rollout" (roll-out against the
 * holdout). *out is a new reference. STORE_INVALID when the metric cannot be measured (nps without a survey). */
int pilot_evaluate(store_reader *r, const store_pilot_campaign *c, const char *arms, int64_t now, json_t **out);

#endif
