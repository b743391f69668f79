/* /api/v1/webhooks: subscriptions of the company's other departments to the club's events, their delivery log,
 * replay by hand, and rotating a secret with an overlap (docs/webhooks.md). A URL is checked when saved: http or
 * https, and, unless the owner's --webhook-allow-private setting is on, not an internal address: a literal is
 * judged at once, a name is resolved on the worker pool (never on the loop) and each of its addresses judged. The
 * sender checks again as it connects. */
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "app/webhooks.h"
#include "base/clock.h"
#include "core/timefmt.h"
#include "core/webhook_url.h"
#include "http/http.h"

#define DELIVERIES_PAGE_MAX 200
#define KEEP_PREVIOUS_DEFAULT_S 86400  /* a rotated-out secret still signs for a day unless told otherwise */
#define KEEP_PREVIOUS_MAX_S (7 * 86400)

static json_t *events_json(uint32_t events)
{
    json_t *a = json_array();
    for (int i = 0; i < WEBHOOK_EVENT_COUNT; i++)
        if (events & (1u << i))
            json_array_append_new(a, json_string(webhooks_event_name((webhook_event)i)));
    return a;
}

static json_t *webhook_json(const store_webhook *w, bool with_secret)
{
    json_t *o = json_pack("{s:I, s:s, s:o, s:s, s:b, s:s, s:o, s:o}", "id", (json_int_t)w->id, "url", w->url,
                          "events", events_json(w->events), "description", w->description, "active", w->active,
                          "created_by", w->created_by, "created_at", timefmt_json(w->created_at), "updated_at",
                          timefmt_json(w->updated_at));
    if (with_secret)
        json_object_set_new(o, "secret", json_string(w->secret));
    /* while a rotated-out secret still signs (never the secret itself: the receiver has it already) */
    bool overlap = w->previous_secret[0] && w->previous_until > clock_now_ms();
    json_object_set_new(o, "previous_secret_expires_at", overlap ? timefmt_json(w->previous_until) : json_null());
    return o;
}

/* ---- input ---- */

typedef struct webhook_input {
    json_t *body;
    int64_t id;
    bool has_url, has_events, has_description, has_active;
    char url[STORE_WEBHOOK_URL_MAX + 1];
    char host[256];
    bool needs_resolve;
    uint32_t events;
    char description[STORE_WEBHOOK_DESCRIPTION_MAX + 1];
    bool active;
    int64_t keep_previous_s; /* rotation: how long the rotated-out secret still signs */
    const char *resolve_error; /* set on the worker pool */
} webhook_input;

static void input_free(void *p)
{
    webhook_input *in = p;
    json_decref(in->body);
    free(in);
}

static void read_events(json_t *v, webhook_input *in, errlist *e)
{
    size_t i;
    json_t *x;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        errlist_add(e, "events", "must be a list of one or more event types");
        return;
    }
    json_array_foreach(v, i, x) {
        webhook_event ev;
        if (!webhooks_event_find(json_string_value(x), &ev)) {
            errlist_add(e, "events", "has an unknown event type at %zu (GET /api/v1/webhooks/events lists them)", i);
            return;
        }
        in->events |= 1u << ev;
    }
    in->has_events = true;
}

static void read_url(json_t *v, webhook_input *in, errlist *e)
{
    const char *url = json_string_value(v);
    if (!url || strlen(url) > STORE_WEBHOOK_URL_MAX) {
        errlist_add(e, "url", "must be an http or https URL of at most %d bytes", STORE_WEBHOOK_URL_MAX);
        return;
    }
    const char *why = webhook_url_check(url, http_config.webhook_allow_private, in->host, sizeof(in->host),
                                        &in->needs_resolve);
    if (why) {
        errlist_add(e, "url", "%s", why);
        return;
    }
    snprintf(in->url, sizeof(in->url), "%s", url);
    in->has_url = true;
}

/* Checks a create body or a merge patch; errors name the field. */
static void input_read(json_t *body, bool creating, webhook_input *in, errlist *e)
{
    static const char *const allowed[] = {"url", "events", "description", "active", NULL};
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return;
    }
    errlist_only_fields(e, body, allowed);
    json_t *v;
    if ((v = json_object_get(body, "url")))
        read_url(v, in, e);
    else if (creating)
        errlist_add(e, "url", "is required");
    if ((v = json_object_get(body, "events")))
        read_events(v, in, e);
    else if (creating)
        errlist_add(e, "events", "is required");
    if ((v = json_object_get(body, "description"))) {
        const char *d = json_is_null(v) ? "" : json_string_value(v);
        if (!d || strlen(d) > STORE_WEBHOOK_DESCRIPTION_MAX)
            errlist_add(e, "description", "must be text of at most %d bytes", STORE_WEBHOOK_DESCRIPTION_MAX);
        else {
            snprintf(in->description, sizeof(in->description), "%s", d);
            in->has_description = true;
        }
    }
    if ((v = json_object_get(body, "active"))) {
        if (!json_is_boolean(v))
            errlist_add(e, "active", "must be true or false");
        in->active = json_is_true(v);
        in->has_active = json_is_boolean(v);
    }
}

/* ---- writes ---- */

static void apply(const webhook_input *in, store_webhook *w, int64_t now)
{
    if (in->has_url)
        snprintf(w->url, sizeof(w->url), "%s", in->url);
    if (in->has_events)
        w->events = in->events;
    if (in->has_description)
        snprintf(w->description, sizeof(w->description), "%s", in->description);
    if (in->has_active)
        w->active = in->active;
    w->updated_at = now;
}

static int create_write(store_tx *tx, http_write *w)
{
    webhook_input *in = w->arg;
    int64_t count = 0;
    int status = store_tx_webhook_count(tx, &count);
    if (status == STORE_OK && count >= STORE_WEBHOOKS_MAX) {
        http_write_answer_problem(w, 409, "conflict", "the club has as many webhooks as it may have", NULL);
        return STORE_INVALID;
    }
    store_webhook *h = calloc(1, sizeof(*h));
    if (!h)
        abort(); /* out of memory */
    h->active = true;
    apply(in, h, w->now_ms);
    h->created_at = w->now_ms;
    snprintf(h->created_by, sizeof(h->created_by), "%s", w->who.name);
    webhooks_secret_new(h->secret);
    if (status == STORE_OK)
        status = store_tx_webhook_insert(tx, h);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK) /* the audit never holds the secret */
        status = store_tx_audit(tx, &actor, w->now_ms, "webhook.create", "webhook", h->id, NULL, webhook_json(h, false));
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/webhooks/%lld", (long long)h->id);
    if (status == STORE_OK)
        http_write_answer_json(w, 201, webhook_json(h, true), location);
    free(h);
    return status;
}

static int update_write(store_tx *tx, http_write *w)
{
    webhook_input *in = w->arg;
    store_webhook *h = malloc(sizeof(*h));
    if (!h)
        abort(); /* out of memory */
    int status = http_write_found(w, store_tx_webhook_get(tx, in->id, h), "webhook");
    json_t *before = status == STORE_OK ? webhook_json(h, false) : NULL;
    if (status == STORE_OK) {
        apply(in, h, w->now_ms);
        status = store_tx_webhook_update(tx, h);
    }
    if (status == STORE_OK)
        status = http_write_updated(tx, w, "webhook.update", "webhook", h->id, before, webhook_json(h, false));
    else
        json_decref(before);
    free(h);
    return status;
}

static int delete_write(store_tx *tx, http_write *w)
{
    webhook_input *in = w->arg;
    int status = http_write_found(w, store_tx_webhook_delete(tx, in->id), "webhook");
    return status == STORE_OK ? http_write_deleted(tx, w, "webhook.delete", "webhook", in->id, NULL) : status;
}

static int replay_write(store_tx *tx, http_write *w)
{
    webhook_input *in = w->arg;
    int64_t id = 0;
    int status = store_tx_webhook_replay(tx, in->id, w->now_ms, &id);
    if (status == STORE_NOTFOUND)
        http_write_answer_problem(w, 404, "not-found", "there is no delivery with this id, or its webhook is gone",
                                  NULL);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "webhook.replay", "webhook_delivery", in->id, NULL,
                                json_pack("{s:I}", "delivery", (json_int_t)id));
    char location[80];
    snprintf(location, sizeof(location), "/api/v1/webhooks/deliveries/%lld", (long long)id);
    if (status == STORE_OK)
        http_write_answer_json(w, 202, json_pack("{s:I, s:I, s:s}", "id", (json_int_t)id, "replay_of",
                                                 (json_int_t)in->id, "status", "queued"),
                               location);
    return status;
}

/* A new secret; the one it replaces keeps signing (a second v1 signature) for in->keep_previous_s. */
static int rotate_write(store_tx *tx, http_write *w)
{
    webhook_input *in = w->arg;
    store_webhook *h = malloc(sizeof(*h));
    if (!h)
        abort(); /* out of memory */
    int status = http_write_found(w, store_tx_webhook_get(tx, in->id, h), "webhook");
    if (status == STORE_OK) {
        if (in->keep_previous_s > 0) {
            memcpy(h->previous_secret, h->secret, sizeof(h->previous_secret));
            h->previous_until = w->now_ms + in->keep_previous_s * 1000;
        } else {
            h->previous_secret[0] = '\0';
            h->previous_until = 0;
        }
        webhooks_secret_new(h->secret);
        h->updated_at = w->now_ms;
        status = store_tx_webhook_set_secret(tx, h);
    }
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK) /* the audit never holds either secret */
        status = store_tx_audit(tx, &actor, w->now_ms, "webhook.secret_rotated", "webhook", h->id, NULL,
                                json_pack("{s:I, s:o}", "keep_previous_s", (json_int_t)in->keep_previous_s,
                                          "previous_secret_expires_at",
                                          in->keep_previous_s > 0 ? timefmt_json(h->previous_until) : json_null()));
    if (status == STORE_OK)
        http_write_answer_json(w, 200, webhook_json(h, true), NULL);
    sodium_memzero(h, sizeof(*h));
    free(h);
    return status;
}

/* POST /api/v1/webhooks/{id}/secret, with no body or {"keep_previous_s": 0..KEEP_PREVIOUS_MAX_S}. */
void http_webhook_rotate_secret(http_request *r)
{
    webhook_input *in = calloc(1, sizeof(*in));
    if (!in)
        abort(); /* out of memory */
    in->id = r->id;
    in->keep_previous_s = KEEP_PREVIOUS_DEFAULT_S;
    if (r->req->entity.len > 0) {
        static const char *const allowed[] = {"keep_previous_s", NULL};
        if (!(in->body = http_body_json(r))) {
            input_free(in);
            return;
        }
        errlist e;
        errlist_init(&e);
        json_t *v;
        if (!json_is_object(in->body))
            errlist_add(&e, "", "the body must be a JSON object");
        else {
            errlist_only_fields(&e, in->body, allowed);
            if ((v = json_object_get(in->body, "keep_previous_s"))) {
                if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > KEEP_PREVIOUS_MAX_S)
                    errlist_add(&e, "keep_previous_s", "must be a whole number of seconds from 0 to %d",
                                KEEP_PREVIOUS_MAX_S);
                else
                    in->keep_previous_s = json_integer_value(v);
            }
        }
        if (e.count) {
            input_free(in);
            http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
            return;
        }
    }
    http_write_submit(r, rotate_write, in, input_free);
}

/* ---- resolving a URL's host off the loop ---- */

static void resolve_work(void *arg)
{
    webhook_input *in = arg;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(in->host, NULL, &hints, &res) != 0 || !res) {
        in->resolve_error = "names a host that does not resolve";
        return;
    }
    for (struct addrinfo *a = res; a && !in->resolve_error; a = a->ai_next) {
        const uint8_t *bytes = NULL;
        if (a->ai_family == AF_INET)
            bytes = (const uint8_t *)&((const struct sockaddr_in *)a->ai_addr)->sin_addr;
        else if (a->ai_family == AF_INET6)
            bytes = (const uint8_t *)&((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
        if (bytes && webhook_url_address_private(a->ai_family, bytes))
            in->resolve_error = "resolves to a private, loopback or link-local address (the owner's "
                                "--webhook-allow-private setting allows it)";
    }
    freeaddrinfo(res);
}

static void resolve_then(http_request *r, void *arg)
{
    webhook_input *in = arg;
    if (in->resolve_error) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "url", "%s", in->resolve_error);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        input_free(in);
        return;
    }
    http_write_submit(r, in->id ? update_write : create_write, in, input_free);
}

static void submit(http_request *r, bool creating)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    webhook_input *in = calloc(1, sizeof(*in));
    if (!in)
        abort(); /* out of memory */
    in->body = body;
    in->id = creating ? 0 : r->id;
    errlist e;
    errlist_init(&e);
    input_read(body, creating, in, &e);
    if (e.count) {
        input_free(in);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    if (in->has_url && in->needs_resolve)
        http_offload(r, resolve_work, resolve_then, in, input_free);
    else
        http_write_submit(r, creating ? create_write : update_write, in, input_free);
}

void http_webhook_create(http_request *r) { submit(r, true); }
void http_webhook_update(http_request *r) { submit(r, false); }

static void submit_id(http_request *r, http_write_fn fn)
{
    webhook_input *in = calloc(1, sizeof(*in));
    if (!in)
        abort(); /* out of memory */
    in->id = r->id;
    http_write_submit(r, fn, in, input_free);
}

void http_webhook_delete(http_request *r) { submit_id(r, delete_write); }
void http_webhook_replay(http_request *r) { submit_id(r, replay_write); }

/* ---- reads ---- */

void http_webhook_events(http_request *r)
{
    json_t *items = json_array();
    for (int i = 0; i < WEBHOOK_EVENT_COUNT; i++)
        json_array_append_new(items, json_string(webhooks_event_name((webhook_event)i)));
    http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

void http_webhook_get(http_request *r)
{
    store_webhook *h = malloc(sizeof(*h));
    if (!h)
        abort(); /* out of memory */
    int status = store_webhook_get(r->thread->reader, r->id, h);
    if (status == STORE_OK)
        http_reply_json(r, 200, webhook_json(h, true));
    else
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no webhook with this id" : "the webhook could not be read",
                           NULL);
    free(h);
}

static void append_webhook(const store_webhook *w, void *items) { json_array_append_new(items, webhook_json(w, false)); }

static int list_webhooks(store_reader *rd, int64_t after_id, int want, json_t *items, void *arg)
{
    return store_webhook_list(rd, after_id, want, append_webhook, items);
}

void http_webhook_list(http_request *r) { http_reply_list(r, list_webhooks, NULL, "the webhooks"); }

/* The delivery log, newest first: ?limit (at most DELIVERIES_PAGE_MAX) and ?before (a delivery id). */
void http_webhook_deliveries(http_request *r)
{
    static const char *const allowed[] = {"limit", "before", NULL};
    if (!http_query_only(r, allowed))
        return;
    errlist e;
    errlist_init(&e);
    char text[32];
    long limit = 50;
    long long before = 0;
    char *end;
    if (http_query(r, "limit", text, sizeof(text), &e) &&
        ((limit = strtol(text, &end, 10)) < 1 || limit > DELIVERIES_PAGE_MAX || *end))
        errlist_add(&e, "limit", "must be a whole number from 1 to %d", DELIVERIES_PAGE_MAX);
    if (http_query(r, "before", text, sizeof(text), &e) && ((before = strtoll(text, &end, 10)) < 1 || *end))
        errlist_add(&e, "before", "must be a delivery id");
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some query parameters are not valid", &e);
        return;
    }
    store_webhook *h = malloc(sizeof(*h));
    if (!h)
        abort(); /* out of memory */
    int status = store_webhook_get(r->thread->reader, r->id, h);
    free(h);
    json_t *items = json_array();
    if (status == STORE_OK)
        status = store_webhook_deliveries(r->thread->reader, r->id, before, (int)limit, items);
    if (status != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no webhook with this id" : "the log could not be read",
                           NULL);
        return;
    }
    size_t n = json_array_size(items);
    json_t *last = n == (size_t)limit ? json_object_get(json_array_get(items, n - 1), "id") : NULL;
    http_reply_json(r, 200, json_pack("{s:o, s:O}", "items", items, "next_before", last ? last : json_null()));
}

void http_webhook_delivery_get(http_request *r)
{
    json_t *o = NULL;
    int status = store_webhook_delivery_json(r->thread->reader, r->id, &o);
    if (status == STORE_OK)
        http_reply_json(r, 200, o);
    else
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no delivery with this id" : "the delivery could not be read",
                           NULL);
}
