/* Webhooks for the company's other departments: the table of event types a subscription may ask for, and the one
 * call with which a cause writes its event (webhooks_emit) inside its own write job, so the event exists exactly
 * when the change does (docs/webhooks.md). Delivery is the outbox's: jobs/webhooks.c signs and sends. */
#ifndef BASHGAH_APP_WEBHOOKS_H
#define BASHGAH_APP_WEBHOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Append only: a subscription stores its events as bits of these positions. */
typedef enum webhook_event {
    WEBHOOK_MEMBER_CREATED,
    WEBHOOK_MEMBER_UPDATED,
    WEBHOOK_PURCHASE_RECORDED,
    WEBHOOK_TIER_CHANGED,
    WEBHOOK_REWARD_REDEEMED,
    WEBHOOK_SURVEY_ANSWERED,
    WEBHOOK_CAMPAIGN_STATE_CHANGED,
    WEBHOOK_MEMBER_ERASED,
    WEBHOOK_EVENT_COUNT
} webhook_event;

#define WEBHOOK_SECRET_BYTES 24 /* the HMAC key; the secret is "whsec_" + its base64 */

/* The event's name ("member.created"), or NULL when out of range. */
const char *webhooks_event_name(webhook_event ev);
/* The event named name: true and *ev when it is one of the table. */
bool webhooks_event_find(const char *name, webhook_event *ev);

/* Writes event ev with data built from fmt and its arguments (jansson's json_pack) into the outbox, one message per
 * active subscription that wants it, inside the caller's job. Cheap when no one wants it: one indexed query and no
 * JSON. The data is built only when wanted, so fmt must not steal references ("o"): use "O", "s", "I" and the like.
 * Returns STORE_OK or the store's error (the caller's job then rolls back with its cause). */
int webhooks_emit(store_tx *tx, webhook_event ev, int64_t now, const char *fmt, ...);

/* A new subscription secret: "whsec_" + base64 of WEBHOOK_SECRET_BYTES random bytes. */
void webhooks_secret_new(char out[STORE_WEBHOOK_SECRET_MAX + 1]);

#endif
