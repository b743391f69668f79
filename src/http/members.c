/* /api/v1/members: create, get, update (JSON merge patch), erase, list and search, and the personal-data export.
 * Input is validated on the loop thread (member_apply_json) before anything is queued; the writer re-applies it
 * to the current record, so concurrent updates never lose each other's fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/webhooks.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "http/http.h"

typedef struct member_change {
    json_t *body; /* the create body or the merge patch */
    int64_t id;   /* the member it changes (update, erase) */
} member_change;

static void change_free(void *p)
{
    member_change *c = p;
    json_decref(c->body);
    free(c);
}

/* A change and the member it applies to. */
static member_change *change_for(json_t *body, int64_t id)
{
    member_change *c = calloc(1, sizeof(*c));
    c->body = body;
    c->id = id;
    return c;
}

static void conflict_answer(http_write *w, const char *field)
{
    errlist e;
    errlist_init(&e);
    errlist_add(&e, field && *field ? field : "", "is already used by another member");
    http_write_answer_problem(w, 409, "conflict", "another member already has this value", &e);
}

static int create_write(store_tx *tx, http_write *w)
{
    member_change *c = w->arg;
    member_rules rules = http_member_rules(w->now_ms);
    member m;
    errlist e;
    errlist_init(&e);
    member_init(&m, &rules);
    member_apply_json(&m, c->body, &rules, true, &e);
    const char *field = NULL;
    store_actor actor = http_actor(&w->who);
    int status = store_tx_member_insert(tx, &m, &field);
    if (status == STORE_CONFLICT) {
        conflict_answer(w, field);
    } else if (status == STORE_OK) {
        json_t *after = member_to_json(&m);
        status = store_tx_consent_log(tx, NULL, &m, w->who.name);
        if (status == STORE_OK)
            status = store_tx_audit(tx, &actor, w->now_ms, "member.create", "member", m.id, NULL, json_incref(after));
        if (status == STORE_OK) /* webhooks (app/webhooks.c): a cheap no-op without subscribers */
            status = webhooks_emit(tx, WEBHOOK_MEMBER_CREATED, w->now_ms, "{s:O}", "member", after);
        char location[64];
        snprintf(location, sizeof(location), "/api/v1/members/%lld", (long long)m.id);
        http_write_answer_json(w, 201, after, location);
    }
    member_release(&m);
    return status;
}

/* Validates a member body on a scratch record; replies 400 and returns false on errors. */
static bool validate_member_body(http_request *r, json_t *body, bool creating)
{
    member_rules rules = http_member_rules(r->now_ms);
    member m;
    errlist e;
    errlist_init(&e);
    member_init(&m, &rules);
    member_apply_json(&m, body, &rules, creating, &e);
    if (creating && e.count == 0)
        member_check_complete(&m, &e);
    member_release(&m);
    if (e.count == 0)
        return true;
    http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
    return false;
}

/* Reads and validates a member body, then queues fn with it. */
static void submit_member_body(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    if (!validate_member_body(r, body, creating)) {
        json_decref(body);
        return;
    }
    http_write_submit(r, fn, change_for(body, creating ? 0 : r->id), change_free);
}

void http_member_create(http_request *r) { submit_member_body(r, true, create_write); }

void http_member_get(http_request *r)
{
    member m;
    char attributes[MEMBER_ATTRIBUTES_MAX + 1];
    int status = store_member_get_text(r->thread->reader, r->id, &m, attributes, sizeof(attributes));
    if (status == STORE_NOTFOUND) {
        http_reply_problem(r, 404, "not-found", "there is no member with this id", NULL);
        return;
    }
    if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the member could not be read", NULL);
        return;
    }
    http_reply_member(r, 200, &m, attributes[0] ? attributes : NULL);
    member_release(&m);
}

static int update_write(store_tx *tx, http_write *w)
{
    member_change *c = w->arg;
    member_rules rules = http_member_rules(w->now_ms);
    member m, before;
    int status = http_write_found(w, store_tx_member_get(tx, c->id, &m), "member");
    if (status != STORE_OK)
        return status;
    if (m.erased_at) {
        member_release(&m);
        http_write_answer_problem(w, 409, "conflict", "this member was erased and cannot be changed", NULL);
        return STORE_INVALID;
    }
    member_copy(&before, &m);
    errlist e;
    errlist_init(&e);
    member_apply_json(&m, c->body, &rules, false, &e);
    const char *field = NULL;
    if (e.count) {
        http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
        status = STORE_INVALID;
    } else if ((status = store_tx_member_update(tx, &m, &field)) == STORE_CONFLICT) {
        conflict_answer(w, field);
    } else if (status == STORE_OK) {
        store_actor actor = http_actor(&w->who);
        json_t *after = member_to_json(&m);
        status = store_tx_consent_log(tx, &before, &m, w->who.name);
        if (status == STORE_OK)
            status = store_tx_audit(tx, &actor, w->now_ms, "member.update", "member", m.id, member_to_json(&before),
                                    json_incref(after));
        if (status == STORE_OK) /* webhooks (app/webhooks.c) */
            status = webhooks_emit(tx, WEBHOOK_MEMBER_UPDATED, w->now_ms, "{s:O}", "member", after);
        http_write_answer_json(w, 200, after, NULL);
    }
    member_release(&m);
    member_release(&before);
    return status;
}

void http_member_update(http_request *r) { submit_member_body(r, false, update_write); }

static int erase_write(store_tx *tx, http_write *w)
{
    member_change *c = w->arg;
    member m, before;
    int status = http_write_found(w, store_tx_member_get(tx, c->id, &m), "member");
    if (status != STORE_OK)
        return status;
    member_copy(&before, &m);
    member_erase(&m, w->now_ms);
    status = store_tx_member_update(tx, &m, NULL);
    if (status == STORE_OK)
        status = store_tx_consent_log(tx, &before, &m, w->who.name);
    if (status == STORE_OK) /* nothing more goes to the addresses just removed */
        status = store_tx_outbox_forget_member(tx, m.id, w->now_ms);
    if (status == STORE_OK) {
        /* The audit keeps that an erasure happened, not the personal data it removed. */
        store_actor actor = http_actor(&w->who);
        status = store_tx_audit(tx, &actor, w->now_ms, "member.erase", "member", m.id, NULL, NULL);
    }
    /* The other departments' systems erase their copies too: the event names the member and nothing else. Once:
     * erasing an erased member again is no new event. */
    if (status == STORE_OK && !before.erased_at)
        status = webhooks_emit(tx, WEBHOOK_MEMBER_ERASED, w->now_ms, "{s:I, s:o}", "member", (json_int_t)m.id,
                               "erased_at", timefmt_json(w->now_ms));
    w->status = 204;
    member_release(&m);
    member_release(&before);
    return status;
}

void http_member_erase(http_request *r) { http_write_submit(r, erase_write, change_for(NULL, r->id), change_free); }

static void append_member(const member *m, void *items) { json_array_append_new(items, member_to_json(m)); }

/* Reads the list filters; replies 400 and returns false when one is invalid. */
static bool list_filters(http_request *r, store_member_filter *f, char *q, char *kind, char *locale)
{
    static const char *const allowed[] = {"q", "kind", "locale", "limit", "cursor", NULL};
    errlist e;
    errlist_init(&e);
    if (!http_query_only(r, allowed) || !http_page_params(r, &f->limit, &f->after_id))
        return false;
    char raw[HTTP_QUERY_VALUE_MAX / 2];
    if (http_query(r, "q", raw, sizeof(raw), &e) && raw[0]) {
        if (text_fold_for_search(raw, strlen(raw), q, HTTP_QUERY_VALUE_MAX) < 0)
            errlist_add(&e, "q", "must be UTF-8 text of at most %zu bytes", sizeof(raw) - 1);
        else
            f->q = q;
    }
    if (http_query(r, "kind", kind, 16, &e) && kind[0]) {
        member_kind k;
        if (member_kind_from_name(kind, &k) != 0)
            errlist_add(&e, "kind", "must be \"member\" or \"prospect\"");
        f->kind = kind;
    }
    if (http_query(r, "locale", locale, 8, &e) && locale[0]) {
        if (strcmp(locale, "fa") != 0 && strcmp(locale, "en") != 0)
            errlist_add(&e, "locale", "must be \"fa\" or \"en\"");
        f->locale = locale;
    }
    if (e.count == 0)
        return true;
    http_reply_problem(r, 400, "validation", "the query has invalid values", &e);
    return false;
}

void http_member_list(http_request *r)
{
    store_member_filter f = {0};
    char q[HTTP_QUERY_VALUE_MAX], kind[16], locale[8];
    if (!list_filters(r, &f, q, kind, locale))
        return;
    int want = f.limit;
    f.limit = want + 1; /* one more tells whether there is a next page */
    json_t *items = json_array();
    int count = 0;
    if (store_member_list(r->thread->reader, &f, http_config.phone_region, append_member, items, &count) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the members could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, want);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

void http_member_personal_export(http_request *r)
{
    member m;
    int status = store_member_get(r->thread->reader, r->id, &m);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           "there is no member with this id", NULL);
        return;
    }
    json_t *audit = json_array();
    store_audit_list(r->thread->reader, "member", m.id, 0, 1000, audit);
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(r->now_ms, at);
    json_t *doc = json_pack("{s:o, s:o, s:o, s:s}", "member", member_to_json(&m), "consent_history",
                            store_consent_history(r->thread->reader, m.id), "audit", audit, "exported_at", at);
    member_release(&m);
    http_reply_json(r, 200, doc);
}
