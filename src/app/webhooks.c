/* The webhook event table and webhooks_emit (see webhooks.h). An event's body is the same for every subscription:
 * {"id": "evt_...", "type": "member.created", "created_at": "...", "data": {...}}; the id is random, so a receiver
 * can drop a delivery it has already seen (a retry or a replay carries the same id). */
#include "app/webhooks.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/timefmt.h"

static const char *const webhook_events[WEBHOOK_EVENT_COUNT] = {
    [WEBHOOK_MEMBER_CREATED] = "member.created",       [WEBHOOK_MEMBER_UPDATED] = "member.updated",
    [WEBHOOK_PURCHASE_RECORDED] = "purchase.recorded", [WEBHOOK_TIER_CHANGED] = "tier.changed",
    [WEBHOOK_REWARD_REDEEMED] = "reward.redeemed",     [WEBHOOK_SURVEY_ANSWERED] = "survey.answered",
    [WEBHOOK_CAMPAIGN_STATE_CHANGED] = "campaign.state_changed", [WEBHOOK_MEMBER_ERASED] = "member.erased",
};

const char *webhooks_event_name(webhook_event ev)
{
    return (int)ev >= 0 && ev < WEBHOOK_EVENT_COUNT ? webhook_events[ev] : NULL;
}

bool webhooks_event_find(const char *name, webhook_event *ev)
{
    for (int i = 0; name && i < WEBHOOK_EVENT_COUNT; i++)
        if (strcmp(name, webhook_events[i]) == 0) {
            *ev = (webhook_event)i;
            return true;
        }
    return false;
}

static void event_id_new(char out[STORE_WEBHOOK_EVENT_ID_MAX + 1])
{
    uint8_t raw[16];
    char hex[sizeof(raw) * 2 + 1];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    snprintf(out, STORE_WEBHOOK_EVENT_ID_MAX + 1, "evt_%s", hex);
}

int webhooks_emit(store_tx *tx, webhook_event ev, int64_t now, const char *fmt, ...)
{
    const char *name = webhooks_event_name(ev);
    bool wanted = false;
    int status = name ? store_tx_webhook_wanted(tx, 1u << ev, &wanted) : STORE_INVALID;
    if (status != STORE_OK || !wanted)
        return status;
    va_list ap;
    va_start(ap, fmt);
    json_error_t err;
    json_t *data = json_vpack_ex(&err, 0, fmt, ap);
    va_end(ap);
    if (!data) {
        log_msg(LOG_ERROR, "webhook_data", "event=%s error=\"%s\"", name, err.text);
        return STORE_ERROR;
    }
    char id[STORE_WEBHOOK_EVENT_ID_MAX + 1];
    event_id_new(id);
    json_t *body = json_pack("{s:s, s:s, s:o, s:o}", "id", id, "type", name, "created_at", timefmt_json(now), "data",
                             data);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text)
        abort(); /* out of memory */
    int n = 0;
    status = store_tx_webhook_fanout(tx, 1u << ev, name, id, text, now, &n);
    free(text);
    return status;
}

void webhooks_secret_new(char out[STORE_WEBHOOK_SECRET_MAX + 1])
{
    uint8_t key[WEBHOOK_SECRET_BYTES];
    char b64[sodium_base64_ENCODED_LEN(WEBHOOK_SECRET_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    randombytes_buf(key, sizeof(key));
    sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(key, sizeof(key));
    snprintf(out, STORE_WEBHOOK_SECRET_MAX + 1, "whsec_%s", b64);
}
