/* Private to the campaign handlers (campaigns.c) and what they share: a campaign's body checked and its JSON
 * (campaign_body.c), and its guard rails estimated from the audience's recent spend (campaign_guard.c). */
#ifndef BASHGAH_HTTP_CAMPAIGNS_H
#define BASHGAH_HTTP_CAMPAIGNS_H

#include "app/campaigns.h"
#include "http/http.h"

#define REASON_MAX 500

typedef struct campaign_change {
    json_t *body;
    int64_t id;
    bool has_guard;
    campaign_guard guard;
    int64_t guard_at; /* when it was estimated (0: now, at the save that answers with it) */
    int guard_discount_max, guard_giveback_max;
    /* POST .../state */
    char to[16];
    char reason[REASON_MAX + 1];
    int64_t seed;
    bool may_decide;
} campaign_change;

/* ---- campaign_body.c ---- */
/* Checks body (a POST when creating, else a PATCH of c) field by field into c; each bad field goes to e. */
void http_campaign_apply_json(store_campaign *c, json_t *body, bool creating, errlist *e);
/* c as the API answers it (without the guard rails); a new reference. */
json_t *http_campaign_json(const store_campaign *c);
/* http_campaign_json with ch's guard rails (null when none were estimated). */
json_t *http_campaign_answer(const store_campaign *c, const campaign_change *ch);

/* ---- campaign_guard.c ---- */
/* ch's guard rails as JSON, null when none were estimated; a new reference. */
json_t *http_campaign_guard_json(const campaign_change *ch);
/* Stores the estimate a save made (or none) onto c's row, as of now; a store status. */
int http_campaign_guard_store(store_tx *tx, store_campaign *c, campaign_change *ch, int64_t now);
/* The estimate stored with c, against the programme's ceilings as they are now (none when it has none). */
void http_campaign_guard_stored(http_request *r, const store_campaign *c, campaign_change *out);
/* Estimates the guard rails of c from its audience's recent spend (the thread's reader). 0, or -1 when they cannot
 * be read (the audience's segment is gone: the writer names it). */
int http_campaign_guard_compute(http_request *r, const store_campaign *c, campaign_change *out);
/* Adds to e each ceiling ch's estimate passes, naming the field that sets it. */
void http_campaign_guard_check(const store_campaign *c, const campaign_change *ch, errlist *e);

#endif
