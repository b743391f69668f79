/* Webhooks over HTTP: a batch of signed POSTs sent side by side (libcurl's multi interface), each with its own
 * time limit and answer limit, so a slow, erroring, oversized or malformed peer costs at most its own timeout and
 * never holds up the others. Signatures follow the Standard Webhooks scheme: webhook-id, webhook-timestamp and
 * webhook-signature "v1,<base64 of HMAC-SHA256 over id.timestamp.body>" keyed by the subscription's secret
 * (docs/webhooks.md); during a rotation's overlap a second "v1,..." keyed by the previous secret follows it, space
 * separated, as the scheme allows. The address each request connects to is checked as it connects (after DNS), so a
 * name that resolves to an internal address is refused unless the owner allows it. */
#ifndef BASHGAH_CHANNELS_WEBHOOK_H
#define BASHGAH_CHANNELS_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channels/channel.h"

#define WEBHOOK_BATCH_MAX 32          /* requests in flight at once */
#define WEBHOOK_ANSWER_MAX 65536      /* bytes of an answer read; a longer one is cut off (the status still counts) */
#define WEBHOOK_SIGNATURE_MAX 64      /* "v1," + base64 of 32 bytes, with its NUL */

typedef struct webhook_settings {
    bool allow_private;  /* the owner's setting: internal addresses may be reached (tests on loopback) */
    int64_t timeout_ms;  /* one request, connection included */
} webhook_settings;

typedef struct webhook_request {
    const char *url, *event_id, *secret, *body; /* borrowed */
    const char *previous_secret;                /* borrowed; NULL, or a rotated-out secret still signed with */
    int64_t timestamp_s;                        /* webhook-timestamp: seconds since 1970 */
    /* filled in by webhook_channel_send_all */
    channel_result result;
    char detail[CHANNEL_DETAIL_MAX];
    int64_t duration_ms;
} webhook_request;

typedef struct webhook_channel webhook_channel;

webhook_channel *webhook_channel_new(const webhook_settings *cfg); /* NULL when curl cannot be set up */
void webhook_channel_free(webhook_channel *c);
/* Sends the n (at most WEBHOOK_BATCH_MAX) requests at once and returns when each has its result: a 2xx answer ->
 * sent; an internal address without the owner's setting, or a secret that is not whsec_ base64 -> refused;
 * anything else (another status, a timeout, a broken answer) -> retry. */
void webhook_channel_send_all(webhook_channel *c, webhook_request *reqs, int n);

/* The webhook-signature value for (id, timestamp, body) under secret ("whsec_" + base64 key) into out. Returns 0,
 * or -1 when the secret is not of that form. Pure. */
int webhook_sign(const char *secret, const char *id, int64_t timestamp_s, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_MAX]);

#endif
