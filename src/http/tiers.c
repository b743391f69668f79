/* /api/v1/tiers: the tier catalogue (list, create, get, update as a JSON merge patch). A body is checked on the
 * loop thread against a scratch tier; the writer re-applies it to the current record inside its savepoint, checks
 * what spans fields (the entry tier, rank 0, needs no threshold) and audits the change in the same transaction.
 * Members' tiers follow their activity (src/app/tiers.c): a changed threshold applies at each member's next
 * purchase or review date. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "core/timefmt.h"
#include "http/http.h"

typedef struct int_field {
    const char *name;
    size_t offset; /* of an int64_t in store_tier */
    int64_t min, max;
} int_field;

static const int_field tier_ints[] = {
    {"rank", offsetof(store_tier, rule.rank), 0, TIER_RANK_MAX},
    {"threshold", offsetof(store_tier, rule.threshold), 0, TIER_THRESHOLD_MAX},
    {"window_days", offsetof(store_tier, rule.window_days), 1, TIER_WINDOW_DAYS_MAX},
    {"grace_days", offsetof(store_tier, rule.grace_days), 0, TIER_GRACE_DAYS_MAX},
    {"multiplier_permille", offsetof(store_tier, rule.multiplier_permille), 0, TIER_MULTIPLIER_MAX},
};


static const http_text_field tier_texts[] = {
    {"name_en", offsetof(store_tier, name_en), STORE_NAME_MAX + 1, true, true},
    {"name_fa", offsetof(store_tier, name_fa), STORE_NAME_MAX + 1, true, true},
    {"benefits_en", offsetof(store_tier, benefits_en), STORE_TEXT_MAX + 1, false, false},
    {"benefits_fa", offsetof(store_tier, benefits_fa), STORE_TEXT_MAX + 1, false, false},
};

static const char *const tier_fields[] = {"name_en", "name_fa", "rank", "basis", "threshold", "window_days",
                                          "grace_days", "multiplier_permille", "benefits_en", "benefits_fa", NULL};



/* Applies a create body or a merge patch to t; errors name the field. */
static void tier_apply_json(store_tier *t, json_t *body, bool creating, errlist *e)
{
    errlist_only_fields(e, body, tier_fields);
    for (size_t i = 0; i < sizeof(tier_texts) / sizeof(tier_texts[0]); i++) {
        const http_text_field *f = &tier_texts[i];
        json_t *v = json_object_get(body, f->name);
        if (v)
            http_apply_text(f, v, (char *)t + f->offset, e);
        else if (creating && f->required)
            errlist_add(e, f->name, "is required");
    }
    for (size_t i = 0; i < sizeof(tier_ints) / sizeof(tier_ints[0]); i++) {
        const int_field *f = &tier_ints[i];
        json_t *v = json_object_get(body, f->name);
        if (!v) {
            if (creating && strcmp(f->name, "rank") == 0)
                errlist_add(e, f->name, "is required");
        } else if (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
            errlist_add(e, f->name, "must be a whole number from %lld to %lld", (long long)f->min, (long long)f->max);
        } else {
            *(int64_t *)((char *)t + f->offset) = json_integer_value(v);
        }
    }
    json_t *basis = json_object_get(body, "basis");
    if (basis && (!json_is_string(basis) || tier_basis_from_name(json_string_value(basis), &t->rule.basis) != 0))
        errlist_add(e, "basis", "must be \"points\" or \"spend\"");
}

/* What spans fields, checked on the merged record. */
static void tier_check(const store_tier *t, errlist *e)
{
    if (t->rule.rank == 0 && t->rule.threshold != 0)
        errlist_add(e, "threshold", "must be 0 for the entry tier (rank 0): every member qualifies for it");
}

static void tier_defaults(store_tier *t, int64_t now)
{
    memset(t, 0, sizeof(*t));
    t->rule.basis = TIER_BASIS_POINTS;
    t->rule.window_days = 365;
    t->rule.grace_days = 30;
    t->rule.multiplier_permille = 1000;
    t->created_at = t->updated_at = now;
}

static json_t *text_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }

static json_t *tier_json(const store_tier *t)
{
    char created[TIMEFMT_LEN], updated[TIMEFMT_LEN];
    timefmt_rfc3339(t->created_at, created);
    timefmt_rfc3339(t->updated_at, updated);
    return json_pack("{s:I, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:s, s:s}", "id", (json_int_t)t->rule.id,
                     "name_en", t->name_en, "name_fa", t->name_fa, "rank", (json_int_t)t->rule.rank, "basis",
                     tier_basis_name(t->rule.basis), "threshold", (json_int_t)t->rule.threshold, "window_days",
                     (json_int_t)t->rule.window_days, "grace_days", (json_int_t)t->rule.grace_days,
                     "multiplier_permille", (json_int_t)t->rule.multiplier_permille, "benefits_en",
                     text_or_null(t->benefits_en), "benefits_fa", text_or_null(t->benefits_fa), "created_at", created,
                     "updated_at", updated);
}

typedef struct tier_change {
    json_t *body;
    int64_t id;
} tier_change;

static void change_free(void *p)
{
    tier_change *c = p;
    json_decref(c->body);
    free(c);
}

static void rank_taken(http_write *w)
{
    errlist e;
    errlist_init(&e);
    errlist_add(&e, "rank", "is already the rank of another tier");
    http_write_answer_problem(w, 409, "conflict", "another tier has this rank", &e);
}

/* Applies the body to t on the writer; answers 400 and returns false on errors. */
static bool apply_on_writer(http_write *w, store_tier *t, json_t *body, bool creating)
{
    errlist e;
    errlist_init(&e);
    tier_apply_json(t, body, creating, &e);
    if (e.count == 0)
        tier_check(t, &e);
    if (e.count == 0)
        return true;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
    return false;
}

static int create_write(store_tx *tx, http_write *w)
{
    tier_change *c = w->arg;
    store_tier t;
    tier_defaults(&t, w->now_ms);
    if (!apply_on_writer(w, &t, c->body, true))
        return STORE_INVALID;
    int64_t count;
    int status = store_tx_tier_count(tx, &count);
    if (status != STORE_OK)
        return status;
    if (count >= STORE_TIERS_MAX) {
        http_write_answer_problem(w, 409, "limit", "the programme has as many tiers as it may have", NULL);
        return STORE_INVALID;
    }
    status = store_tx_tier_insert(tx, &t);
    if (status == STORE_CONFLICT) {
        rank_taken(w);
        return status;
    }
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "tier.create", "tier", t.rule.id, NULL, tier_json(&t));
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/tiers/%lld", (long long)t.rule.id);
    http_write_answer_json(w, 201, tier_json(&t), location);
    return status;
}

static int update_write(store_tx *tx, http_write *w)
{
    tier_change *c = w->arg;
    store_tier t, before;
    int status = http_write_found(w, store_tx_tier_get(tx, c->id, &t), "tier");
    if (status != STORE_OK)
        return status;
    before = t;
    if (!apply_on_writer(w, &t, c->body, false))
        return STORE_INVALID;
    t.updated_at = w->now_ms;
    status = store_tx_tier_update(tx, &t);
    if (status == STORE_CONFLICT) {
        rank_taken(w);
    } else if (status == STORE_OK) {
        store_actor actor = http_actor(&w->who);
        status = store_tx_audit(tx, &actor, w->now_ms, "tier.update", "tier", t.rule.id, tier_json(&before),
                                tier_json(&t));
        http_write_answer_json(w, 200, tier_json(&t), NULL);
    }
    return status;
}

/* Reads the body, checks it on a scratch tier (for a patch, the checks that need the record wait for the writer),
 * then queues fn. */
static void submit_tier_body(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_tier scratch;
    tier_defaults(&scratch, r->now_ms);
    errlist e;
    errlist_init(&e);
    tier_apply_json(&scratch, body, creating, &e);
    if (creating && e.count == 0)
        tier_check(&scratch, &e);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    tier_change *c = calloc(1, sizeof(*c));
    c->body = body;
    c->id = creating ? 0 : r->id;
    http_write_submit(r, fn, c, change_free);
}

void http_tier_create(http_request *r) { submit_tier_body(r, true, create_write); }
void http_tier_update(http_request *r) { submit_tier_body(r, false, update_write); }

static void append_tier(const store_tier *t, void *items) { json_array_append_new(items, tier_json(t)); }

void http_tier_list(http_request *r)
{
    static const char *const allowed[] = {NULL};
    if (!http_query_only(r, allowed))
        return;
    json_t *items = json_array();
    if (store_tier_each(r->thread->reader, append_tier, items) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the tiers could not be read", NULL);
        return;
    }
    /* At most STORE_TIERS_MAX tiers: one page, in rank order. */
    http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

void http_tier_get(http_request *r)
{
    store_tier t;
    int status = store_tier_get(r->thread->reader, r->id, &t);
    if (status == STORE_OK)
        http_reply_json(r, 200, tier_json(&t));
    else if (status == STORE_NOTFOUND)
        http_reply_problem(r, 404, "not-found", "there is no tier with this id", NULL);
    else
        http_reply_problem(r, 500, "internal", "the tier could not be read", NULL);
}
