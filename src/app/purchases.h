/* Purchases, returns and other earning events, as recorded from points of sale and integrations. Each runs in
 * one write transaction: the idempotency check on (store, txn_id) or (source, event_id), the earning rules,
 * the ledger postings, the member's aggregates and tier, and the stored first answer all commit together. */
#ifndef BASHGAH_APP_PURCHASES_H
#define BASHGAH_APP_PURCHASES_H

#include <jansson.h>
#include <stdint.h>

#include "core/errlist.h"
#include "core/rules.h"
#include "store/store.h"

/* Which member: exactly one of these is set. */
typedef struct purchase_member {
    int64_t id;
    char external_ref[65];
    char phone[25];
} purchase_member;

typedef struct purchase_request {
    char type[16]; /* purchase | return */
    purchase_member member;
    char store[65];
    char txn_id[129];
    char original_txn_id[129]; /* returns */
    int64_t amount_minor;
    rule_item items[RULE_ITEMS_MAX];
    int nitems;
    json_t *items_json; /* as sent, owned */
    int64_t occurred_at;
    uint8_t request_hash[32];
} purchase_request;

typedef struct earning_event {
    char type[32]; /* joined | profile_completed | survey_answered | custom */
    char name[65];
    purchase_member member;
    char source[48];
    char event_id[129];
    int64_t occurred_at;
    uint8_t request_hash[32];
} earning_event;

/* The outcome: an HTTP-like status and a JSON body (owned; or as text, owned, when text is set), or a problem
 * (slug, detail, errs). */
typedef struct purchase_answer {
    int status;
    json_t *body;
    char *text; /* malloc'd compact JSON: the body as stored for replays */
    const char *slug;
    char detail[192];
    errlist errs;
    bool replayed;
} purchase_answer;

/* Reads and validates a transaction body; errors name the field. Fills req (release with purchase_release). */
int purchase_parse(json_t *body, const char *phone_region, int64_t now, purchase_request *req, errlist *e);
int earning_event_parse(json_t *body, const char *phone_region, int64_t now, earning_event *ev, errlist *e);
void purchase_release(purchase_request *req);

/* Records it. Returns STORE_OK to keep what it wrote (a new transaction, or a replay that wrote nothing but
 * answers), or another status to roll back (the answer then says why). */
int purchase_record(store_tx *tx, const purchase_request *req, int64_t now, const char *actor, purchase_answer *a);
int earning_event_record(store_tx *tx, const earning_event *ev, int64_t now, const char *actor, purchase_answer *a);

#endif
