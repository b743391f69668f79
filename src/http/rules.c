/* /api/v1/rules: earning rules (list, create, get, update as a merge patch, delete). A body is validated on the
 * loop thread with rule_apply_json (a PATCH against the rule as the thread's reader sees it) before anything is
 * queued; the writer applies it again to the current rule, so concurrent changes never lose each other's fields.
 * Every change is audited in its own transaction (rule.create, rule.update, rule.delete). Delete deactivates:
 * past purchases' explanations and the caps' grants keep naming the rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

typedef struct rule_change {
    json_t *body; /* the create body or the merge patch; NULL for delete */
    int64_t id;   /* the rule it changes (update, delete) */
} rule_change;

static void change_free(void *p)
{
    rule_change *c = p;
    json_decref(c->body);
    free(c);
}

static rule_change *change_for(json_t *body, int64_t id)
{
    rule_change *c = calloc(1, sizeof(*c));
    c->body = body;
    c->id = id;
    return c;
}

static void not_found(http_write *w)
{
    http_write_answer_problem(w, 404, "not-found", "there is no rule with this id", NULL);
}

/* Refuses a change that would give the event more than RULES_MAX active rules (what one evaluation takes). */
static int check_room(store_tx *tx, http_write *w, const char *event)
{
    int count = 0;
    int status = store_tx_rules_active_count(tx, event, &count);
    if (status != STORE_OK)
        return status;
    if (count < RULES_MAX)
        return STORE_OK;
    errlist e;
    errlist_init(&e);
    errlist_add(&e, "event", "already has %d active rules, the most one event can have; deactivate one first",
                RULES_MAX);
    http_write_answer_problem(w, 409, "limit", "too many active rules for this event", &e);
    return STORE_INVALID;
}

static void location_of(int64_t id, char out[64]) { snprintf(out, 64, "/api/v1/rules/%lld", (long long)id); }

static int create_write(store_tx *tx, http_write *w)
{
    rule_change *c = w->arg;
    rule r;
    errlist e;
    errlist_init(&e);
    rule_init(&r);
    int status = STORE_OK;
    if (rule_apply_json(&r, c->body, true, &e) != 0) {
        http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
        status = STORE_INVALID;
    } else if (r.active) {
        status = check_room(tx, w, r.event);
    }
    if (status == STORE_OK) {
        r.created_at = r.updated_at = w->now_ms;
        status = store_tx_rule_insert(tx, &r);
    }
    if (status == STORE_OK) {
        store_actor actor = http_actor(&w->who);
        json_t *after = rule_to_json(&r);
        status = store_tx_audit(tx, &actor, w->now_ms, "rule.create", "rule", r.id, NULL, json_incref(after));
        char location[64];
        location_of(r.id, location);
        http_write_answer_json(w, 201, after, location);
    }
    rule_release(&r);
    return status;
}

void http_rule_create(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    rule scratch;
    errlist e;
    errlist_init(&e);
    rule_init(&scratch);
    rule_apply_json(&scratch, body, true, &e);
    rule_release(&scratch);
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        json_decref(body);
        return;
    }
    http_write_submit(r, create_write, change_for(body, 0), change_free);
}

void http_rule_get(http_request *r)
{
    rule x;
    int status = store_rule_get(r->thread->reader, r->id, &x);
    if (status == STORE_NOTFOUND) {
        http_reply_problem(r, 404, "not-found", "there is no rule with this id", NULL);
        return;
    }
    if (status != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the rule could not be read", NULL);
        return;
    }
    http_reply_json(r, 200, rule_to_json(&x));
    rule_release(&x);
}

/* Applies a patch to the stored rule and writes it, auditing as action. The answer is 200 with the rule, or
 * 204 (no_content) for a delete. */
static int change_write(store_tx *tx, http_write *w, const char *action, bool no_content)
{
    rule_change *c = w->arg;
    rule r;
    int status = store_tx_rule_get(tx, c->id, &r);
    if (status == STORE_NOTFOUND)
        not_found(w);
    if (status != STORE_OK)
        return status;
    json_t *before = rule_to_json(&r);
    bool was_active = r.active;
    char was_event[sizeof(r.event)];
    memcpy(was_event, r.event, sizeof(was_event));
    errlist e;
    errlist_init(&e);
    if (rule_apply_json(&r, c->body, false, &e) != 0) {
        http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
        status = STORE_INVALID;
    } else if (r.active && (!was_active || strcmp(was_event, r.event) != 0)) {
        status = check_room(tx, w, r.event);
    }
    if (status == STORE_OK && (was_active || !no_content)) {
        r.updated_at = w->now_ms;
        status = store_tx_rule_update(tx, &r);
        store_actor actor = http_actor(&w->who);
        if (status == STORE_OK)
            status = store_tx_audit(tx, &actor, w->now_ms, action, "rule", r.id, json_incref(before), rule_to_json(&r));
    }
    if (status == STORE_OK && no_content)
        w->status = 204;
    else if (status == STORE_OK)
        http_write_answer_json(w, 200, rule_to_json(&r), NULL);
    json_decref(before);
    rule_release(&r);
    return status;
}

static int update_write(store_tx *tx, http_write *w) { return change_write(tx, w, "rule.update", false); }

void http_rule_update(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    rule current;
    int status = store_rule_get(r->thread->reader, r->id, &current);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no rule with this id" : "the rule could not be read",
                           NULL);
        json_decref(body);
        return;
    }
    errlist e;
    errlist_init(&e);
    rule_apply_json(&current, body, false, &e);
    rule_release(&current);
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        json_decref(body);
        return;
    }
    http_write_submit(r, update_write, change_for(body, r->id), change_free);
}

/* Delete is {"active": false}: the rule stays readable for the explanations that name it. Deleting an inactive
 * rule again answers 204 and changes nothing. */
static int delete_write(store_tx *tx, http_write *w) { return change_write(tx, w, "rule.delete", true); }

void http_rule_delete(http_request *r)
{
    http_write_submit(r, delete_write, change_for(json_pack("{s:b}", "active", 0), r->id), change_free);
}

static void append_rule(const rule *x, void *items) { json_array_append_new(items, rule_to_json(x)); }

/* Reads the list filters; replies 400 and returns false when one is invalid. */
static bool list_filters(http_request *r, store_rule_filter *f, char *event, size_t event_cap)
{
    static const char *const allowed[] = {"event", "active", "limit", "cursor", NULL};
    errlist e;
    errlist_init(&e);
    f->active = -1;
    if (!http_query_only(r, allowed) || !http_page_params(r, &f->limit, &f->after_id))
        return false;
    if (http_query(r, "event", event, event_cap, &e) && event[0]) {
        if (!rules_event_valid(event))
            errlist_add(&e, "event", "must be one of purchase, joined, profile_completed, survey_answered, custom");
        f->event = event;
    }
    char active[8];
    if (http_query(r, "active", active, sizeof(active), &e) && active[0]) {
        if (strcmp(active, "true") == 0 || strcmp(active, "false") == 0)
            f->active = strcmp(active, "true") == 0;
        else
            errlist_add(&e, "active", "must be true or false");
    }
    if (e.count == 0)
        return true;
    http_reply_problem(r, 400, "validation", "the query has invalid values", &e);
    return false;
}

void http_rule_list(http_request *r)
{
    store_rule_filter f = {0};
    char event[32];
    if (!list_filters(r, &f, event, sizeof(event)))
        return;
    int want = f.limit, count = 0;
    f.limit = want + 1; /* one more tells whether there is a next page */
    json_t *items = json_array();
    if (store_rule_list(r->thread->reader, &f, append_rule, items, &count) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the rules could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, want);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
