/* Writes from HTTP requests: a handler's write function runs on the store's writer thread, inside its own
 * savepoint of a group commit; the answer it prepares is sent by the request's own loop thread after the commit.
 * Idempotency is handled here for every write: with an Idempotency-Key header, the first 2xx answer is stored
 * in the same savepoint as the work, and a replay returns it without running the work again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/log.h"
#include "http/http.h"

member_rules http_member_rules(int64_t now_ms)
{
    member_rules rules = {http_config.phone_region, http_config.default_time_zone, http_config.default_locale, now_ms};
    return rules;
}

void http_write_answer_json(http_write *w, int status, json_t *body, const char *location)
{
    free(w->body);
    free(w->location);
    w->status = status;
    w->content_type = "application/json";
    w->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    w->location = location ? strdup(location) : NULL;
    json_decref(body);
}

void http_write_answer_text(http_write *w, int status, char *text, const char *location)
{
    free(w->body);
    free(w->location);
    w->status = status;
    w->content_type = "application/json";
    w->body = text;
    w->location = location ? strdup(location) : NULL;
}

void http_write_answer_problem(http_write *w, int status, const char *slug, const char *detail, const errlist *errs)
{
    free(w->body);
    free(w->location);
    w->status = status;
    w->content_type = "application/problem+json";
    w->body = http_problem_body(status, slug, detail, errs);
    w->location = NULL;
}

int http_write_found(http_write *w, int status, const char *what)
{
    if (status == STORE_NOTFOUND) {
        char detail[96];
        snprintf(detail, sizeof(detail), "there is no %s with this id", what);
        http_write_answer_problem(w, 404, "not-found", detail, NULL);
    }
    return status;
}

int http_write_created(store_tx *tx, http_write *w, const char *action, const char *type, int64_t id,
                       const char *collection, json_t *record)
{
    store_actor actor = http_actor(&w->who);
    int status = store_tx_audit(tx, &actor, w->now_ms, action, type, id, NULL, json_incref(record));
    if (status != STORE_OK) {
        json_decref(record);
        return status;
    }
    char location[96];
    snprintf(location, sizeof(location), "%s/%lld", collection, (long long)id);
    http_write_answer_json(w, 201, record, location);
    return status;
}

int http_write_updated(store_tx *tx, http_write *w, const char *action, const char *type, int64_t id, json_t *before,
                       json_t *record)
{
    store_actor actor = http_actor(&w->who);
    int status = store_tx_audit(tx, &actor, w->now_ms, action, type, id, before, json_incref(record));
    if (status == STORE_OK)
        http_write_answer_json(w, 200, record, NULL);
    else
        json_decref(record);
    return status;
}

int http_write_deleted(store_tx *tx, http_write *w, const char *action, const char *type, int64_t id, json_t *before)
{
    store_actor actor = http_actor(&w->who);
    int status = store_tx_audit(tx, &actor, w->now_ms, action, type, id, before, NULL);
    if (status == STORE_OK)
        w->status = 204;
    return status;
}

/* Writer thread: replay, conflict, or run the work and remember its answer. */
static int run_write(store_tx *tx, void *arg)
{
    http_write *w = arg;
    if (w->has_key) {
        store_idem prior;
        int found = store_tx_idem_get(tx, w->who.key, w->key, &prior);
        if (found == STORE_OK) {
            if (sodium_memcmp(prior.request_hash, w->request_hash, 32) == 0) {
                w->status = prior.status;
                w->content_type = prior.body && prior.body[0] ? "application/json" : NULL;
                w->body = prior.body;
                w->location = prior.location;
                w->replayed = true;
            } else {
                store_idem_release(&prior);
                http_write_answer_problem(w, 409, "idempotency-conflict",
                                          "this Idempotency-Key was used before with a different request", NULL);
            }
            return STORE_INVALID; /* nothing to keep */
        }
        if (found != STORE_NOTFOUND)
            return found;
    }
    int status = w->fn(tx, w);
    if (status == STORE_OK && w->has_key && w->status >= 200 && w->status < 300) {
        store_idem rec = {.status = w->status, .location = w->location, .body = w->body};
        memcpy(rec.request_hash, w->request_hash, 32);
        status = store_tx_idem_put(tx, w->who.key, w->key, &rec, w->now_ms);
    }
    return status;
}

/* Writer thread: hand the finished job to its loop. */
static void write_done(store_job *job)
{
    http_write *w = (http_write *)((char *)job - offsetof(http_write, job));
    h2o_multithread_send_message(&w->thread->write_done, &w->msg);
}

static void write_free(http_write *w)
{
    if (w->arg_free)
        w->arg_free(w->arg);
    free(w->body);
    free(w->location);
    free(w->set_cookie);
    free(w);
}

/* Loop thread: the write committed (or failed); answer if the client is still there. */
static void on_write_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *msg = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&msg->link);
        http_write *w = H2O_STRUCT_FROM_MEMBER(http_write, msg, msg);
        http_request *r = http_pending_finish(&w->pending, w->thread);
        if (r) {
            if (w->job.status == STORE_ERROR || (!w->body && w->status != 204))
                http_reply_problem(r, 500, "internal", "the database could not save this change; nothing was written",
                                   NULL);
            else {
                h2o_req_t *req = r->req;
                if (w->set_cookie) {
                    h2o_iovec_t v = h2o_strdup(&req->pool, w->set_cookie, SIZE_MAX);
                    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE, NULL, v.base, v.len);
                }
                if (w->retry_after > 0) {
                    char secs[24];
                    int n = snprintf(secs, sizeof(secs), "%d", w->retry_after);
                    h2o_iovec_t v = h2o_strdup(&req->pool, secs, n);
                    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, v.base, v.len);
                }
                http_send(r, w->status, w->content_type, w->body ? w->body : "", w->body ? strlen(w->body) : 0,
                          w->location, w->replayed);
            }
        }
        write_free(w);
    }
}

void http_write_thread_init(http_thread *t)
{
    h2o_multithread_register_receiver(t->ctx.queue, &t->write_done, on_write_messages);
}

/* Reads the Idempotency-Key header; replies 400 and returns -1 when it is unusable. */
static int read_idempotency_key(http_request *r, http_write *w)
{
    if (!r->who.kind)
        return 0; /* anonymous writes (sign-in) have no caller to keep keys for */
    ssize_t i = h2o_find_header_by_str(&r->req->headers, H2O_STRLIT("idempotency-key"), -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = r->req->headers.entries[i].value;
    for (size_t k = 0; k < v.len; k++)
        if (v.base[k] < 0x21 || v.base[k] > 0x7e)
            v.len = 0;
    if (v.len == 0 || v.len > STORE_IDEM_KEY_MAX) {
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "Idempotency-Key", "must be 1 to %d visible ASCII characters", STORE_IDEM_KEY_MAX);
        http_reply_problem(r, 400, "validation", "the Idempotency-Key header is invalid", &e);
        return -1;
    }
    w->has_key = true;
    memcpy(w->key, v.base, v.len);
    w->key[v.len] = '\0';
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    crypto_generichash_update(&h, (const unsigned char *)r->req->method.base, r->req->method.len);
    crypto_generichash_update(&h, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&h, (const unsigned char *)r->req->path.base, r->req->path.len);
    crypto_generichash_update(&h, (const unsigned char *)"\n", 1);
    if (r->req->entity.base)
        crypto_generichash_update(&h, (const unsigned char *)r->req->entity.base, r->req->entity.len);
    crypto_generichash_final(&h, w->request_hash, 32);
    return 0;
}

void http_write_submit(http_request *r, http_write_fn fn, void *arg, void (*arg_free)(void *arg))
{
    http_write *w = calloc(1, sizeof(*w));
    w->fn = fn;
    w->arg = arg;
    w->arg_free = arg_free;
    w->who = r->who;
    w->now_ms = r->now_ms;
    w->thread = r->thread;
    if (read_idempotency_key(r, w) != 0) {
        write_free(w);
        return;
    }
    w->job.fn = run_write;
    w->job.arg = w;
    w->job.done = write_done;
    http_pending_attach(&w->pending, r);
    int status = store_submit(http_store, &w->job);
    if (status != STORE_OK) {
        http_pending_cancel(&w->pending, r->thread);
        h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
        http_reply_problem(r, 503, "unavailable",
                           status == STORE_FULL ? "the server is busy; try again shortly" : "the server is stopping",
                           NULL);
        write_free(w);
        return;
    }
}
