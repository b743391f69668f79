/* The delivery senders: DELIVERY_SENDERS threads, apart from the event loops and the writer, each taking its share
 * of the outbox's due messages (store_outbox_due on its own reader), hands each to its channel (src/channels), and records every outcome and
 * attempt through the writer (store_tx_outbox_record), waiting for that commit before it looks for more. Network
 * I/O therefore never blocks a loop or the writer. A failure worth retrying is deferred with exponential backoff
 * and jitter, up to attempts_max tries; then the message has failed.
 *
 * Crash safety: a message is marked sent only after its channel took it, and 'sent' is final, so a message marked
 * sent is never sent again; a crash between a send and its commit sends that message once more (at least once). */
#ifndef BASHGAH_JOBS_DELIVERY_H
#define BASHGAH_JOBS_DELIVERY_H

#include <stdint.h>

#include "channels/email.h"
#include "channels/sms.h"
#include "channels/webhook.h"
#include "store/store.h"

typedef struct delivery_settings {
    email_settings email;    /* email.smtp_url NULL or "": email waits in the outbox, untouched */
    sms_settings sms;        /* sms.url NULL or "": SMS waits in the outbox */
    int64_t sms_cost_minor;  /* the gateway's price of one SMS part */
    int attempts_max;        /* tries of one message before it fails */
    int64_t backoff_base_ms; /* wait after the first failure; doubled after each further one */
    int64_t backoff_max_ms;  /* the longest wait */
    int64_t poll_ms;         /* how often an idle worker looks for due messages */
    const char *public_url;  /* the server's address as members reach it, for unsubscribe links */
    int quiet_from, quiet_to; /* local hours [from, to) when news waits (wrapping midnight); equal: none */
    int cap_day, cap_week;   /* news per member and channel in 24 hours / 7 days; 0: no cap */
    int rate_email, rate_sms; /* messages a second over the whole server; 0: as fast as the peer takes them */
    webhook_settings webhook; /* webhooks: their own thread (jobs/webhooks.c), the same attempts and backoff */
} delivery_settings;

#define DELIVERY_BATCH_MAX 32 /* messages a sender sends between two commits: at most this many each are resent
                                 * after a crash */
/* Sender threads, each with its own connection to each channel and its own share of the messages: those of one
 * member (or contact) always go through the same sender, so its caps are counted in one place. Two connections
 * keep a peer busy while the other waits for its answer or its commit (measured with bench/messages_bench.py against a
 * local SMTP peer taking about 3,000 a second: 1,615 emails/s with one sender, 1,900 with two). */
#define DELIVERY_SENDERS 2

/* Starts the worker thread; the store's writer must be running. cfg is borrowed until delivery_stop.
 * Returns 0, or -1 when the thread could not start. */
int delivery_start(store *s, const delivery_settings *cfg);
/* Finishes the batch in hand (recording its outcomes) and stops the thread. A no-op when not started. */
void delivery_stop(void);

/* Whether local hour h lies in the quiet hours [from, to), which may wrap midnight (21-8). Pure. */
/* The webhook sender: a second thread over the same outbox, for the messages of channel 'webhook' only, so a slow
 * department's server never holds up email or SMS (jobs/webhooks.c). Started and stopped by delivery_start and
 * delivery_stop. */
int webhook_delivery_start(store *s, const delivery_settings *cfg);
void webhook_delivery_stop(void);

bool delivery_quiet_hour(int h, int from, int to);

/* The wait before try number attempt + 1, after attempt (1, 2, ...) failures: base * 2^(attempt-1), capped at
 * max_ms, with "equal jitter" (half fixed, half drawn from random), so the waits of many failed messages spread
 * instead of returning together. Pure: random is any 32-bit random number. */
int64_t delivery_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, uint32_t random);

#endif
