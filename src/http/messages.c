/* The member's portal inbox (GET /api/v1/portal/inbox, POST /api/v1/portal/inbox/{id}/read: messages of the inbox
 * channel the delivery worker has delivered, newest first, read and unread), and
 * the one-click unsubscribe route, public: /api/v1/unsubscribe?token=T. A mail client's one-click POST (RFC 8058,
 * body "List-Unsubscribe=One-Click") or the button of the page that GET shows withdraws the member's consent for
 * the token's channel, logged in the consent history and the audit log as the member's own act. The token alone
 * authorises (channels/unsubscribe.c): no sign-in. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/unsubscribe.h"
#include "core/timefmt.h"
#include "http/http.h"

typedef struct unsubscribe_job {
    int64_t member_id;
    const char *channel; /* static */
} unsubscribe_job;

/* Reads and checks the token; replies 400 or 500 and returns false when it is not genuine. */
static bool token_read(http_request *r, unsubscribe_job *j, char *token, size_t cap)
{
    errlist e;
    errlist_init(&e);
    uint8_t key[32];
    if (!http_query(r, "token", token, cap, &e)) {
        if (!e.count)
            errlist_add(&e, "token", "is required");
        http_reply_problem(r, 400, "validation", "the unsubscribe link is not complete", &e);
        return false;
    }
    if (store_message_secret(r->thread->reader, "unsubscribe", key) != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the unsubscribe key could not be read", NULL);
        return false;
    }
    int bad = unsubscribe_verify(key, token, &j->member_id, &j->channel);
    sodium_memzero(key, sizeof(key));
    if (bad) {
        errlist_add(&e, "token", "is not a genuine unsubscribe token");
        http_reply_problem(r, 400, "validation", "the unsubscribe link is not valid", &e);
        return false;
    }
    return true;
}

static int unsubscribe_write(store_tx *tx, http_write *w)
{
    unsubscribe_job *j = w->arg;
    member before, m;
    int status = store_tx_member_get(tx, j->member_id, &m);
    if (status == STORE_NOTFOUND || (status == STORE_OK && m.erased_at)) {
        /* nothing to withdraw: answered as done, so a link tells nobody whether the member exists */
        http_write_answer_json(w, 200, json_pack("{s:b, s:s}", "unsubscribed", 1, "channel", j->channel), NULL);
        return STORE_OK;
    }
    if (status != STORE_OK)
        return status;
    before = m;
    bool email = strcmp(j->channel, "email") == 0;
    if (email ? m.consent_email : m.consent_sms) {
        *(email ? &m.consent_email : &m.consent_sms) = false;
        *(email ? &m.consent_email_at : &m.consent_sms_at) = w->now_ms;
        m.updated_at = w->now_ms;
        char actor_name[64];
        snprintf(actor_name, sizeof(actor_name), "member:%lld", (long long)m.id);
        store_actor actor = {"member", m.id, actor_name};
        if ((status = store_tx_member_update(tx, &m, NULL)) != STORE_OK ||
            (status = store_tx_consent_log(tx, &before, &m, actor_name)) != STORE_OK ||
            (status = store_tx_audit(tx, &actor, w->now_ms, "member.unsubscribe", "member", m.id, NULL,
                                     json_pack("{s:s}", "channel", j->channel))) != STORE_OK)
            return status;
    }
    http_write_answer_json(w, 200, json_pack("{s:b, s:s}", "unsubscribed", 1, "channel", j->channel), NULL);
    return STORE_OK;
}

void http_unsubscribe_post(http_request *r)
{
    char token[UNSUBSCRIBE_TOKEN_LEN + 8];
    unsubscribe_job *j = calloc(1, sizeof(*j));
    if (!j)
        abort(); /* out of memory */
    if (!token_read(r, j, token, sizeof(token))) {
        free(j);
        return;
    }
    http_write_submit(r, unsubscribe_write, j, free);
}

/* A page in both languages with one button; a GET changes nothing, as mail scanners follow links. */
void http_unsubscribe_page(http_request *r)
{
    char token[UNSUBSCRIBE_TOKEN_LEN + 8];
    unsubscribe_job j;
    if (!token_read(r, &j, token, sizeof(token)))
        return;
    char page[2048];
    int len = snprintf(page, sizeof(page),
                       "<!doctype html><html><head><meta charset=\"utf-8\"><title>Unsubscribe</title></head><body>"
                       "<form method=\"post\" action=\"/api/v1/unsubscribe?token=%s\">"
                       "<p>Stop receiving the club's news by %s?</p>"
                       "<p dir=\"rtl\" lang=\"fa\">لغو اشتراک خبرهای باشگاه از راه %s؟</p>"
                       "<button type=\"submit\">Unsubscribe / لغو اشتراک</button></form></body></html>",
                       token, j.channel, strcmp(j.channel, "sms") == 0 ? "پیامک" : "ایمیل");
    http_send(r, 200, "text/html; charset=utf-8", page, (size_t)len, NULL, false);
}

#define INBOX_PAGE_MAX 100

void http_portal_inbox(http_request *r)
{
    if (!http_portal_enter(r))
        return;
    json_t *items = json_array();
    int64_t unread = 0;
    if (store_inbox_list(r->thread->reader, r->id, 0, INBOX_PAGE_MAX, items, &unread) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the inbox could not be read", NULL);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        char at[TIMEFMT_LEN];
        timefmt_rfc3339(json_integer_value(json_object_get(item, "received_at")), at);
        json_object_set_new(item, "received_at", json_string(at));
    }
    http_reply_json(r, 200, json_pack("{s:o, s:I}", "items", items, "unread", (json_int_t)unread));
}

typedef struct inbox_read_job {
    int64_t message_id;
} inbox_read_job;

static int inbox_read_write(store_tx *tx, http_write *w)
{
    inbox_read_job *j = w->arg;
    int status = store_tx_inbox_read(tx, w->who.id, j->message_id, w->now_ms);
    if (status == STORE_NOTFOUND) {
        http_write_answer_problem(w, 404, "not-found", "there is no such message in your inbox", NULL);
        return STORE_NOTFOUND;
    }
    if (status == STORE_OK)
        w->status = 204;
    return status;
}

void http_portal_inbox_read(http_request *r)
{
    int64_t message_id = r->id; /* the path's id, before portal_enter points r->id at the member */
    if (!http_portal_enter(r))
        return;
    inbox_read_job *j = calloc(1, sizeof(*j));
    if (!j)
        abort(); /* out of memory */
    j->message_id = message_id;
    http_write_submit(r, inbox_read_write, j, free);
}
