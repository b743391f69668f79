/* The delivery senders (see delivery.h): due messages -> channels -> one writer job per batch recording the
 * outcomes. Each sender thread has its own reader and channels (one CURL handle each, reused) and its own share of
 * the messages (store_outbox_due's part). */
#include "jobs/delivery.h"
#include "jobs/outbox_thread.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/thread.h"
#include "channels/unsubscribe.h"
#include "core/rules.h"
#include "core/sms.h"

typedef struct batch_job {
    store_outbox_outcome outcomes[DELIVERY_BATCH_MAX];
    char details[DELIVERY_BATCH_MAX][CHANNEL_DETAIL_MAX];
    int n;
} batch_job;

typedef struct sender {
    outbox_thread t;
    int part; /* which of the DELIVERY_SENDERS shares of the messages it sends */
    pthread_t tid;
    bool running;
} sender;

static const delivery_settings *settings; /* borrowed from delivery_start until delivery_stop */
static sender senders[DELIVERY_SENDERS];
/* Each channel's next free slot under its rate (rate_wait), shared by the senders. */
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t next_email_ms, next_sms_ms;

static int64_t monotonic_ms(void) { return (int64_t)(clock_mono_ns() / 1000000u); }

typedef struct channels {
    email_channel *email;
    sms_channel *sms;
    uint8_t unsubscribe_key[32];
    bool has_key;
} channels;

static channel_result send_email(channels *ch, const store_outbox_item *it, const char *text, char *detail)
{
    char message_id[64];
    snprintf(message_id, sizeof(message_id), "m%lld.%lld", (long long)it->id, (long long)it->created_at);
    email_message m = {.to = it->destination, .subject = it->subject, .text = text, .html = it->body_html,
                       .message_id = message_id};
    /* news, not a code the member asked for: a one-click unsubscribe link (RFC 8058) */
    char url[1024];
    if (!it->transactional && it->member_id && ch->has_key) {
        char token[UNSUBSCRIBE_TOKEN_LEN];
        unsubscribe_token(ch->unsubscribe_key, it->member_id, it->channel, token);
        snprintf(url, sizeof(url), "%.900s/api/v1/unsubscribe?token=%s", settings->public_url, token);
        m.unsubscribe_url = url;
    }
    return email_channel_send(ch->email, &m, detail);
}

/* A survey invitation's text ends with its link as a path, /s/TOKEN: the writer does not know the address by which
 * people reach the server, so the link is made absolute here with --public-url, at send time (a proxy's address
 * changed later applies to the messages still waiting). Returns the text to send; *owned is what to free. */
static const char *with_absolute_links(const store_outbox_item *it, char **owned)
{
    *owned = NULL;
    const char *at = strcmp(it->kind, "survey_invitation") == 0 ? strstr(it->body_text, "\n/s/") : NULL;
    if (!at)
        return it->body_text;
    size_t head = (size_t)(at + 1 - it->body_text), base = strlen(settings->public_url);
    size_t tail = strlen(at + 1);
    char *text = malloc(head + base + tail + 1);
    if (!text)
        abort(); /* out of memory */
    memcpy(text, it->body_text, head);
    memcpy(text + head, settings->public_url, base);
    memcpy(text + head + base, at + 1, tail + 1);
    return *owned = text;
}

static channel_result send_one(channels *ch, const store_outbox_item *it, const char *text, char *detail)
{
    if (strcmp(it->channel, "inbox") == 0) {
        snprintf(detail, CHANNEL_DETAIL_MAX, "in the member's inbox");
        return CHANNEL_SENT; /* the portal shows it from the outbox row itself */
    }
    if (strcmp(it->channel, "sms") == 0)
        return sms_channel_send(ch->sms, it->destination, text, it->id, detail);
    return send_email(ch, it, text, detail);
}

#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)

/* The first whole UTC hour after now at which the member's local hour is out of the quiet hours, or 0 when now is
 * not quiet (or the zone is unknown: better sent than held for ever). */
static int64_t quiet_until(const member *m, int64_t now)
{
    const delivery_settings *cfg = settings;
    int weekday, hour;
    if (cfg->quiet_from == cfg->quiet_to || rules_local_time(now, m->time_zone, &weekday, &hour) != 0 ||
        !delivery_quiet_hour(hour, cfg->quiet_from, cfg->quiet_to))
        return 0;
    for (int64_t t = now - now % HOUR_MS + HOUR_MS; t < now + DAY_MS; t += HOUR_MS)
        if (rules_local_time(t, m->time_zone, &weekday, &hour) == 0 &&
            !delivery_quiet_hour(hour, cfg->quiet_from, cfg->quiet_to))
            return t;
    return 0;
}

/* Whether the member already had as much news over the channel as the caps allow (24 hours and 7 days, rolling). */
static bool capped(store_reader *reader, const store_outbox_item *it, int64_t now)
{
    const delivery_settings *cfg = settings;
    int64_t n = 0;
    if (cfg->cap_day && store_outbox_sent_count(reader, it->member_id, it->channel, now - DAY_MS, &n) == STORE_OK &&
        n >= cfg->cap_day)
        return true;
    return cfg->cap_week &&
           store_outbox_sent_count(reader, it->member_id, it->channel, now - 7 * DAY_MS, &n) == STORE_OK &&
           n >= cfg->cap_week;
}

/* The same for a contact who is not a member (staff, partners, ...): consent (read at send time) and quiet hours in
 * their time zone; frequency caps count members' news only. */
static const char *contact_refusal(store_reader *reader, const store_outbox_item *it, int64_t now,
                                   int64_t *defer_until)
{
    store_contact c;
    int status = store_contact_get(reader, it->contact_id, &c);
    if (status == STORE_NOTFOUND)
        return "erased"; /* deleted since */
    if (status != STORE_OK)
        return NULL;
    bool email = strcmp(it->channel, "email") == 0;
    const char *why = NULL;
    if (!(email ? c.person.consent_email : c.person.consent_sms))
        why = "no_consent";
    else if ((*defer_until = quiet_until(&c.person, now)) != 0)
        why = "quiet_hours";
    store_contact_release(&c);
    return why;
}

/* Why a message may not go to its member now (read at each send, so an opt-out made after the message was queued
 * still holds), or NULL. A transactional message (a code the member asked for) goes whatever the marketing consent;
 * the portal inbox needs none, as the member reads it signed in. */
static const char *consent_refusal(store_reader *reader, const store_outbox_item *it, int64_t now,
                                   int64_t *defer_until)
{
    *defer_until = 0;
    if (it->transactional || (!it->member_id && !it->contact_id) || strcmp(it->channel, "webhook") == 0)
        return NULL;
    if (!it->member_id)
        return contact_refusal(reader, it, now, defer_until);
    member m;
    int status = store_member_get(reader, it->member_id, &m);
    if (status == STORE_NOTFOUND || (status == STORE_OK && m.erased_at))
        return "erased";
    if (status != STORE_OK || strcmp(it->channel, "inbox") == 0)
        return NULL;
    bool email = strcmp(it->channel, "email") == 0;
    if (!(email ? m.consent_email : m.consent_sms)) /* never given, or given and withdrawn */
        return (email ? m.consent_email_at : m.consent_sms_at) ? "opted_out" : "no_consent";
    if ((*defer_until = quiet_until(&m, now)) != 0)
        return "quiet_hours";
    return capped(reader, it, now) ? "cap_reached" : NULL;
}

/* Waits for the channel's next slot under its rate, which is the server's: the senders take the slots in turn. */
static void rate_wait(sender *w, const char *channel)
{
    bool email = strcmp(channel, "email") == 0;
    int rate = email ? settings->rate_email : strcmp(channel, "sms") == 0 ? settings->rate_sms : 0;
    if (rate <= 0)
        return;
    pthread_mutex_lock(&rate_lock);
    int64_t *next = email ? &next_email_ms : &next_sms_ms, now = monotonic_ms();
    int64_t slot = *next > now ? *next : now;
    *next = slot + 1000 / rate;
    pthread_mutex_unlock(&rate_lock);
    if (slot > now)
        outbox_thread_nap(&w->t, slot - now);
}

/* Decides one message's outcome at now: expired or without an address it is settled without a try; otherwise
 * it is sent, and a failure is deferred with backoff or, past the attempts, failed. */
static void deliver(sender *w, store_reader *reader, channels *ch, const store_outbox_item *it, int64_t now,
                    store_outbox_outcome *o, char *detail)
{
    const delivery_settings *cfg = settings;
    *o = (store_outbox_outcome){.message_id = it->id, .at = now, .next_attempt_at = now};
    if (it->not_after && now >= it->not_after) {
        o->status = "failed";
        o->reason = "expired";
        return;
    }
    if (strcmp(it->channel, "inbox") != 0 && !it->destination[0]) {
        o->status = "suppressed";
        o->reason = "no_address";
        return;
    }
    int64_t defer_until;
    if ((o->reason = consent_refusal(reader, it, now, &defer_until)) != NULL) {
        o->status = defer_until ? "deferred" : "suppressed"; /* quiet hours only hold a message back */
        o->next_attempt_at = defer_until ? defer_until : now;
        return;
    }
    rate_wait(w, it->channel);
    char *owned;
    const char *text = with_absolute_links(it, &owned);
    int64_t started = monotonic_ms();
    channel_result res = send_one(ch, it, text, detail);
    o->duration_ms = monotonic_ms() - started;
    o->attempted = true;
    o->detail = detail;
    if (res == CHANNEL_SENT) {
        o->status = "sent";
        sms_count count;
        if (strcmp(it->channel, "sms") == 0 && sms_count_text(text, &count) == 0) {
            o->segments = count.segments;
            o->cost_minor = count.segments * cfg->sms_cost_minor;
        }
    } else if (res == CHANNEL_REFUSED) {
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
    log_msg(res == CHANNEL_SENT ? LOG_DEBUG : LOG_INFO, "delivery", "message=%lld channel=%s status=%s detail=\"%s\"",
            (long long)it->id, it->channel, o->status, detail);
    free(owned);
}

/* One round: the sender's due messages of the channels we can send, in batches of DELIVERY_BATCH_MAX, each recorded
 * before the next is sent. Returns how many were handled. */
static int round_once(sender *w, store_reader *reader, channels *ch, batch_job *b)
{
    const char *names[3];
    int nnames = 0;
    names[nnames++] = "inbox";
    if (ch->email)
        names[nnames++] = "email";
    if (ch->sms)
        names[nnames++] = "sms";
    store_outbox_item items[DELIVERY_BATCH_MAX];
    int n = 0;
    int64_t now = clock_now_ms();
    if (store_outbox_due(reader, now, names, nnames, w->part, DELIVERY_SENDERS, items, DELIVERY_BATCH_MAX, &n) !=
        STORE_OK)
        return 0;
    b->n = 0;
    for (int i = 0; i < n; i++) {
        b->details[i][0] = '\0';
        deliver(w, reader, ch, &items[i], now, &b->outcomes[i], b->details[i]);
        b->n++;
    }
    if (b->n > 0)
        outbox_thread_record(&w->t, b->outcomes, b->n);
    for (int i = 0; i < n; i++)
        store_outbox_item_release(&items[i]);
    return n;
}

static void *sender_main(void *arg)
{
    sender *w = arg;
    store_reader *reader = store_reader_open(w->t.s);
    channels ch = {0};
    const delivery_settings *cfg = settings;
    if (cfg->email.smtp_url && *cfg->email.smtp_url && !(ch.email = email_channel_new(&cfg->email)))
        log_msg(LOG_ERROR, "delivery_email_unavailable", "reason=curl");
    if (cfg->sms.url && *cfg->sms.url && !(ch.sms = sms_channel_new(&cfg->sms)))
        log_msg(LOG_ERROR, "delivery_sms_unavailable", "reason=curl");
    ch.has_key = store_message_secret(reader, "unsubscribe", ch.unsubscribe_key) == STORE_OK;
    batch_job *b = calloc(1, sizeof(*b));
    if (!reader || !b)
        abort(); /* out of memory at start-up */
    log_msg(LOG_INFO, "delivery_started", "sender=%d email=%s sms=%s", w->part, ch.email ? "on" : "off",
            ch.sms ? "on" : "off");
    while (!outbox_thread_stopping(&w->t)) {
        if (round_once(w, reader, &ch, b) < DELIVERY_BATCH_MAX)
            outbox_thread_nap(&w->t, cfg->poll_ms);
    }
    free(b);
    sodium_memzero(ch.unsubscribe_key, sizeof(ch.unsubscribe_key));
    email_channel_free(ch.email);
    sms_channel_free(ch.sms);
    store_reader_close(reader);
    return NULL;
}

int delivery_start(store *s, const delivery_settings *cfg)
{
    curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before any thread uses curl */
    settings = cfg;
    for (int i = 0; i < DELIVERY_SENDERS; i++) {
        sender *w = &senders[i];
        w->t = (outbox_thread){.name = "delivery", .s = s};
        pthread_mutex_init(&w->t.lock, NULL);
        pthread_cond_init(&w->t.wake, NULL);
        w->part = i;
        if (pthread_create(&w->tid, NULL, sender_main, w) != 0) {
            delivery_stop();
            return -1;
        }
        thread_name(w->tid, "send", i);
        w->running = true;
    }
    return webhook_delivery_start(s, cfg);
}

void delivery_stop(void)
{
    webhook_delivery_stop();
    for (int i = 0; i < DELIVERY_SENDERS; i++)
        if (senders[i].running)
            outbox_thread_stop(&senders[i].t);
    for (int i = 0; i < DELIVERY_SENDERS; i++) {
        if (!senders[i].running)
            continue;
        pthread_join(senders[i].tid, NULL);
        senders[i].running = false;
    }
}
