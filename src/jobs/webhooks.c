/* The webhook sender: a thread of its own over the outbox's messages of channel 'webhook' (see delivery.h). Each
 * round it reads up to WEBHOOK_BATCH_MAX due messages, looks up each one's subscription as it is now (a paused or
 * deleted subscription's messages are suppressed), sends the batch side by side (channels/webhook.c), and records
 * every outcome through the writer, waiting for that commit before it reads again: at least once, as for email. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread.h"
#include "jobs/delivery.h"
#include "jobs/outbox_thread.h"

typedef struct round_state {
    store_outbox_item items[WEBHOOK_BATCH_MAX];
    store_webhook_delivery subs[WEBHOOK_BATCH_MAX];
    webhook_request reqs[WEBHOOK_BATCH_MAX];
    int req_of[WEBHOOK_BATCH_MAX]; /* item -> its request, or -1 when settled without one */
    store_outbox_outcome outcomes[WEBHOOK_BATCH_MAX];
    int n;
} round_state;

static struct {
    outbox_thread t;
    const delivery_settings *cfg;
    pthread_t tid;
    bool running;
} hooks = {.t = OUTBOX_THREAD_INIT("webhooks")};

/* Settles the items that need no request (subscription gone or paused) and prepares the others' requests. */
static int prepare(store_reader *reader, round_state *b, int64_t now)
{
    int nreq = 0;
    for (int i = 0; i < b->n; i++) {
        store_outbox_item *it = &b->items[i];
        store_webhook_delivery *d = &b->subs[i];
        store_outbox_outcome *o = &b->outcomes[i];
        *o = (store_outbox_outcome){.message_id = it->id, .at = now, .next_attempt_at = now};
        b->req_of[i] = -1;
        int status = store_webhook_delivery_get(reader, it->id, d);
        if (status != STORE_OK && status != STORE_NOTFOUND) {
            o->status = "deferred"; /* could not read it now: try again after the poll interval */
            o->reason = "retry";
            o->next_attempt_at = now + hooks.cfg->poll_ms;
        } else if (status == STORE_NOTFOUND || !d->subscribed) {
            o->status = "suppressed";
            o->reason = "unsubscribed";
        } else if (!d->active) {
            o->status = "suppressed";
            o->reason = "paused";
        } else {
            b->req_of[i] = nreq;
            b->reqs[nreq++] = (webhook_request){.url = d->url, .event_id = d->event_id, .secret = d->secret,
                                                 .previous_secret = d->previous_until > now ? d->previous_secret
                                                                                            : NULL,
                                                 .body = it->body_text, .timestamp_s = now / 1000};
        }
    }
    return nreq;
}

/* The outcome of a sent request, as deliver() in delivery.c decides it for email. */
static void judge(const store_outbox_item *it, webhook_request *q, int64_t now, store_outbox_outcome *o)
{
    const delivery_settings *cfg = hooks.cfg;
    o->attempted = true;
    o->detail = q->detail;
    o->duration_ms = q->duration_ms;
    if (q->result == CHANNEL_SENT) {
        o->status = "sent";
    } else if (q->result == CHANNEL_REFUSED) {
        o->status = "failed";
        o->reason = "refused";
    } else if (it->attempts + 1 >= cfg->attempts_max) {
        o->status = "failed";
        o->reason = "attempts_exhausted";
    } else {
        o->status = "deferred";
        o->reason = "retry";
        o->next_attempt_at = now + delivery_backoff_ms(it->attempts + 1, cfg->backoff_base_ms, cfg->backoff_max_ms,
                                                       randombytes_random());
    }
    log_msg(q->result == CHANNEL_SENT ? LOG_DEBUG : LOG_INFO, "webhook", "message=%lld status=%s detail=\"%s\"",
            (long long)it->id, o->status, q->detail);
}

/* One round; returns how many messages it handled. */
static int round_once(store_reader *reader, webhook_channel *ch, round_state *b)
{
    static const char *const names[] = {"webhook"};
    int64_t now = clock_now_ms();
    b->n = 0;
    if (store_outbox_due(reader, now, names, 1, 0, 1, b->items, WEBHOOK_BATCH_MAX, &b->n) != STORE_OK || b->n == 0)
        return 0;
    int nreq = prepare(reader, b, now);
    if (nreq > 0)
        webhook_channel_send_all(ch, b->reqs, nreq);
    int64_t after = clock_now_ms(); /* retries count from the end of the round, however slow a peer was */
    for (int i = 0; i < b->n; i++)
        if (b->req_of[i] >= 0)
            judge(&b->items[i], &b->reqs[b->req_of[i]], after, &b->outcomes[i]);
    outbox_thread_record(&hooks.t, b->outcomes, b->n);
    int n = b->n;
    for (int i = 0; i < n; i++)
        store_outbox_item_release(&b->items[i]);
    sodium_memzero(b->subs, sizeof(b->subs));
    return n;
}

static void *hooks_main(void *arg)
{
    (void)arg;
    store_reader *reader = store_reader_open(hooks.t.s);
    webhook_channel *ch = webhook_channel_new(&hooks.cfg->webhook);
    round_state *b = calloc(1, sizeof(*b));
    if (!reader || !b)
        abort(); /* out of memory at start-up */
    if (!ch)
        log_msg(LOG_ERROR, "webhook_unavailable", "reason=curl");
    log_msg(LOG_INFO, "webhooks_started", "allow_private=%s timeout_ms=%lld",
            hooks.cfg->webhook.allow_private ? "on" : "off", (long long)hooks.cfg->webhook.timeout_ms);
    while (!outbox_thread_stopping(&hooks.t)) {
        if (!ch || round_once(reader, ch, b) < WEBHOOK_BATCH_MAX)
            outbox_thread_nap(&hooks.t, hooks.cfg->poll_ms);
    }
    free(b);
    webhook_channel_free(ch);
    store_reader_close(reader);
    return NULL;
}

int webhook_delivery_start(store *s, const delivery_settings *cfg)
{
    hooks.t.s = s;
    hooks.cfg = cfg;
    hooks.t.stopping = 0;
    if (pthread_create(&hooks.tid, NULL, hooks_main, NULL) != 0)
        return -1;
    thread_name(hooks.tid, "hooks", -1);
    hooks.running = true;
    return 0;
}

void webhook_delivery_stop(void)
{
    if (!hooks.running)
        return;
    outbox_thread_stop(&hooks.t);
    pthread_join(hooks.tid, NULL);
    hooks.running = false;
}
