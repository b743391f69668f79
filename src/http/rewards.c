/* /api/v1/rewards and /api/v1/redemptions: the reward catalogue, and members spending points on rewards.
 * A redemption is one writer job: the replay check, every condition (active, validity window, tier, stock,
 * per-member limit), the stock, the redemption row, the points (points_spend to 'club:redeemed') and the audit
 * share one savepoint, so a refusal leaves nothing behind and, the writer being single, concurrent redemptions for
 * one member are serialised and never overspend. Replays are keyed by (member_id, idempotency_key).
 * Status moves follow the table `moves` below; a cancellation gives the points and the stock back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app/points.h"
#include "app/tiers.h"
#include "app/webhooks.h"
#include "core/text.h"
#include "core/timefmt.h"
#include "http/http.h"

#define REWARD_COST_POINTS_MAX INT64_C(1000000000000)
#define REWARD_COST_MINOR_MAX INT64_C(1000000000000000)
#define REWARD_STOCK_MAX INT64_C(1000000000)
#define REWARD_LIMIT_MAX INT64_C(1000000)
#define REDEMPTION_CODE_LEN 10
#define REDEEMED_ACCOUNT "club:redeemed"

/* Each kind and the status its redemptions start in: a physical gift is ordered and then shipped; the rest are
 * handed over at once (a code, a booking, a donation made). */
static const struct {
    const char *name;
    const char *first_status;
} reward_kinds[] = {
    {"gift", "ordered"},        {"experience", "issued"}, {"free_product", "issued"},
    {"discount_code", "issued"}, {"donation", "issued"},
};

/* The status moves a PATCH may make; "cancelled" gives the points and the stock back. */
static const struct {
    const char *from, *to;
} moves[] = {
    {"ordered", "shipped"},   {"shipped", "delivered"}, {"ordered", "cancelled"},
    {"shipped", "cancelled"}, {"issued", "cancelled"},
};

static const char *const statuses[] = {"issued", "ordered", "shipped", "delivered", "cancelled", NULL};

/* ---- fields ---- */


static const http_text_field reward_texts[] = {
    {"name_en", offsetof(store_reward, name_en), STORE_NAME_MAX + 1, true, true},
    {"name_fa", offsetof(store_reward, name_fa), STORE_NAME_MAX + 1, true, true},
    {"description_en", offsetof(store_reward, description_en), STORE_TEXT_MAX + 1, false, false},
    {"description_fa", offsetof(store_reward, description_fa), STORE_TEXT_MAX + 1, false, false},
};

/* Integers; a nullable one keeps whether it is set in the bool at has_offset. */
typedef struct int_field {
    const char *name;
    size_t offset;
    int64_t min, max;
    bool required;
    ptrdiff_t has_offset; /* -1: not nullable */
} int_field;

static const int_field reward_ints[] = {
    {"cost_points", offsetof(store_reward, cost_points), 1, REWARD_COST_POINTS_MAX, true, -1},
    {"cost_minor", offsetof(store_reward, cost_minor), 0, REWARD_COST_MINOR_MAX, false, -1},
    {"stock", offsetof(store_reward, stock), 0, REWARD_STOCK_MAX, false, offsetof(store_reward, has_stock)},
    {"per_member_limit", offsetof(store_reward, per_member_limit), 1, REWARD_LIMIT_MAX, false,
     offsetof(store_reward, has_limit)},
};

static const char *const reward_fields[] = {
    "name_en", "name_fa",          "description_en", "description_fa", "kind",  "cost_points", "cost_minor",
    "stock",   "per_member_limit", "valid_from",     "valid_until",    "tiers", "active",      NULL,
};



static void apply_int(const int_field *f, json_t *v, store_reward *w, errlist *e)
{
    bool *has = f->has_offset >= 0 ? (bool *)((char *)w + f->has_offset) : NULL;
    if (json_is_null(v) && has) {
        *has = false;
        return;
    }
    if (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
        errlist_add(e, f->name, "must be a whole number from %lld to %lld%s", (long long)f->min, (long long)f->max,
                    has ? ", or null" : "");
        return;
    }
    *(int64_t *)((char *)w + f->offset) = json_integer_value(v);
    if (has)
        *has = true;
}

static void apply_time(const char *name, json_t *v, bool *has, int64_t *at, errlist *e)
{
    if (json_is_null(v)) {
        *has = false;
        return;
    }
    if (!json_is_string(v) || timefmt_parse(json_string_value(v), at) != 0) {
        errlist_add(e, name, "must be an RFC 3339 time such as 2026-03-21T00:00:00Z, or null");
        return;
    }
    *has = true;
}

static void apply_tiers(json_t *v, store_reward *w, errlist *e)
{
    if (json_is_null(v)) {
        w->has_tiers = false;
        w->tier_count = 0;
        return;
    }
    if (!json_is_array(v) || json_array_size(v) > STORE_REWARD_TIERS_MAX) {
        errlist_add(e, "tiers", "must be an array of at most %d tier ids, or null for every tier",
                    STORE_REWARD_TIERS_MAX);
        return;
    }
    w->has_tiers = true;
    w->tier_count = 0;
    size_t i;
    json_t *id;
    json_array_foreach(v, i, id) {
        if (!json_is_integer(id) || json_integer_value(id) < 1) {
            errlist_add(e, "tiers", "must hold tier ids (whole numbers above 0)");
            return;
        }
        bool seen = false;
        for (int k = 0; k < w->tier_count; k++)
            seen = seen || w->tiers[k] == json_integer_value(id);
        if (!seen)
            w->tiers[w->tier_count++] = json_integer_value(id);
    }
}

static const char *kind_first_status(const char *kind)
{
    for (size_t i = 0; i < sizeof(reward_kinds) / sizeof(reward_kinds[0]); i++)
        if (strcmp(reward_kinds[i].name, kind) == 0)
            return reward_kinds[i].first_status;
    return NULL;
}

/* Applies a create body or a merge patch to w; errors name the field. */
static void reward_apply_json(store_reward *w, json_t *body, bool creating, errlist *e)
{
    errlist_only_fields(e, body, reward_fields);
    for (size_t i = 0; i < sizeof(reward_texts) / sizeof(reward_texts[0]); i++) {
        json_t *v = json_object_get(body, reward_texts[i].name);
        if (v)
            http_apply_text(&reward_texts[i], v, (char *)w + reward_texts[i].offset, e);
        else if (creating && reward_texts[i].required)
            errlist_add(e, reward_texts[i].name, "is required");
    }
    for (size_t i = 0; i < sizeof(reward_ints) / sizeof(reward_ints[0]); i++) {
        json_t *v = json_object_get(body, reward_ints[i].name);
        if (v)
            apply_int(&reward_ints[i], v, w, e);
        else if (creating && reward_ints[i].required)
            errlist_add(e, reward_ints[i].name, "is required");
    }
    json_t *v = json_object_get(body, "kind");
    if (v && (!json_is_string(v) || !kind_first_status(json_string_value(v))))
        errlist_add(e, "kind", "must be one of gift, experience, free_product, discount_code, donation");
    else if (v)
        snprintf(w->kind, sizeof(w->kind), "%s", json_string_value(v));
    else if (creating)
        errlist_add(e, "kind", "is required");
    if ((v = json_object_get(body, "valid_from")) != NULL)
        apply_time("valid_from", v, &w->has_valid_from, &w->valid_from, e);
    if ((v = json_object_get(body, "valid_until")) != NULL)
        apply_time("valid_until", v, &w->has_valid_until, &w->valid_until, e);
    if ((v = json_object_get(body, "tiers")) != NULL)
        apply_tiers(v, w, e);
    if ((v = json_object_get(body, "active")) != NULL && !json_is_boolean(v))
        errlist_add(e, "active", "must be true or false");
    else if (v)
        w->active = json_is_true(v);
    if (e->count == 0 && w->has_valid_from && w->has_valid_until && w->valid_until <= w->valid_from)
        errlist_add(e, "valid_until", "must be after valid_from");
}

/* ---- JSON ---- */

static json_t *time_or_null(bool has, int64_t ms)
{
    if (!has)
        return json_null();
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(ms, at);
    return json_string(at);
}

static json_t *text_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }
static json_t *int_or_null(bool has, int64_t v) { return has ? json_integer(v) : json_null(); }

static json_t *reward_json(const store_reward *w)
{
    json_t *tiers = json_null();
    if (w->has_tiers) {
        tiers = json_array();
        for (int i = 0; i < w->tier_count; i++)
            json_array_append_new(tiers, json_integer(w->tiers[i]));
    }
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o}", "id",
                     (json_int_t)w->id, "name_en", w->name_en, "name_fa", w->name_fa, "description_en",
                     text_or_null(w->description_en), "description_fa", text_or_null(w->description_fa), "kind",
                     w->kind, "cost_points", (json_int_t)w->cost_points, "cost_minor", (json_int_t)w->cost_minor,
                     "stock", int_or_null(w->has_stock, w->stock), "per_member_limit",
                     int_or_null(w->has_limit, w->per_member_limit), "valid_from",
                     time_or_null(w->has_valid_from, w->valid_from), "valid_until",
                     time_or_null(w->has_valid_until, w->valid_until), "tiers", tiers, "active", w->active,
                     "created_at", time_or_null(true, w->created_at), "updated_at", time_or_null(true, w->updated_at));
}

static json_t *redemption_json(const store_redemption *d)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)d->id, "member_id",
                     (json_int_t)d->member_id, "reward_id", (json_int_t)d->reward_id, "points", (json_int_t)d->points,
                     "status", d->status, "code", d->code, "created_at", time_or_null(true, d->created_at),
                     "updated_at", time_or_null(true, d->updated_at));
}

/* The redemption with the member's balance now (the answer to a write). */
static json_t *redemption_answer(store_tx *tx, const store_redemption *d)
{
    json_t *doc = redemption_json(d);
    points_balance b = {0};
    if (points_balance_get(tx, d->member_id, &b) == STORE_OK)
        json_object_set_new(doc, "balance", json_pack("{s:I, s:I}", "available", (json_int_t)b.available, "pending",
                                                      (json_int_t)b.pending));
    return doc;
}

/* ---- rewards ---- */

typedef struct body_change {
    json_t *body;
    int64_t id;
} body_change;

static void change_free(void *p)
{
    body_change *c = p;
    json_decref(c->body);
    free(c);
}

static void reward_defaults(store_reward *w, int64_t now)
{
    memset(w, 0, sizeof(*w));
    w->active = true;
    w->created_at = w->updated_at = now;
}

/* On the writer: applies the body and checks the tiers it names exist; answers 400 and returns false if not. */
static bool reward_apply_on_writer(store_tx *tx, http_write *w, store_reward *rw, json_t *body, bool creating)
{
    errlist e;
    errlist_init(&e);
    reward_apply_json(rw, body, creating, &e);
    store_tier t;
    for (int i = 0; e.count == 0 && rw->has_tiers && i < rw->tier_count; i++)
        if (store_tx_tier_get(tx, rw->tiers[i], &t) != STORE_OK)
            errlist_add(&e, "tiers", "names tier %lld, which does not exist", (long long)rw->tiers[i]);
    if (e.count == 0)
        return true;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
    return false;
}

static int reward_create_write(store_tx *tx, http_write *w)
{
    body_change *c = w->arg;
    store_reward rw;
    reward_defaults(&rw, w->now_ms);
    if (!reward_apply_on_writer(tx, w, &rw, c->body, true))
        return STORE_INVALID;
    int status = store_tx_reward_insert(tx, &rw);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "reward.create", "reward", rw.id, NULL, reward_json(&rw));
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/rewards/%lld", (long long)rw.id);
    http_write_answer_json(w, 201, reward_json(&rw), location);
    return status;
}

static int reward_update_write(store_tx *tx, http_write *w)
{
    body_change *c = w->arg;
    store_reward rw, before;
    int status = http_write_found(w, store_tx_reward_get(tx, c->id, &rw), "reward");
    if (status != STORE_OK)
        return status;
    before = rw;
    if (!reward_apply_on_writer(tx, w, &rw, c->body, false))
        return STORE_INVALID;
    rw.updated_at = w->now_ms;
    status = store_tx_reward_update(tx, &rw);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "reward.update", "reward", rw.id, reward_json(&before),
                                reward_json(&rw));
    http_write_answer_json(w, 200, reward_json(&rw), NULL);
    return status;
}

/* Reads the body, checks it on a scratch reward (the tiers it names are checked on the writer), queues fn. */
static void submit_reward_body(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_reward scratch;
    reward_defaults(&scratch, r->now_ms);
    errlist e;
    errlist_init(&e);
    reward_apply_json(&scratch, body, creating, &e);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    body_change *c = calloc(1, sizeof(*c));
    c->body = body;
    c->id = creating ? 0 : r->id;
    http_write_submit(r, fn, c, change_free);
}

void http_reward_create(http_request *r) { submit_reward_body(r, true, reward_create_write); }
void http_reward_update(http_request *r) { submit_reward_body(r, false, reward_update_write); }

void http_reward_get(http_request *r)
{
    store_reward rw;
    int status = store_reward_get(r->thread->reader, r->id, &rw);
    if (status == STORE_OK)
        http_reply_json(r, 200, reward_json(&rw));
    else if (status == STORE_NOTFOUND)
        http_reply_problem(r, 404, "not-found", "there is no reward with this id", NULL);
    else
        http_reply_problem(r, 500, "internal", "the reward could not be read", NULL);
}

static void append_reward(const store_reward *w, void *items) { json_array_append_new(items, reward_json(w)); }
static void append_redemption(const store_redemption *d, void *items)
{
    json_array_append_new(items, redemption_json(d));
}

/* {"items", "next_cursor"} from a list read with one item more than the page. */
static json_t *page_json(json_t *items, int want)
{
    json_t *next = http_page_next(items, want);
    return json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
}

void http_reward_list(http_request *r)
{
    static const char *const allowed[] = {"active", "limit", "cursor", NULL};
    store_reward_filter f = {.active = -1};
    if (!http_query_only(r, allowed) || !http_page_params(r, &f.limit, &f.after_id))
        return;
    errlist e;
    errlist_init(&e);
    char active[8];
    if (http_query(r, "active", active, sizeof(active), &e)) {
        if (strcmp(active, "true") == 0 || strcmp(active, "false") == 0)
            f.active = strcmp(active, "true") == 0;
        else
            errlist_add(&e, "active", "must be true or false");
    }
    if (e.count) {
        http_reply_problem(r, 400, "validation", "the query has invalid values", &e);
        return;
    }
    int want = f.limit, count;
    f.limit = want + 1; /* one more tells whether there is a next page */
    json_t *items = json_array();
    if (store_reward_list(r->thread->reader, &f, append_reward, items, &count) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the rewards could not be read", NULL);
        return;
    }
    http_reply_json(r, 200, page_json(items, want));
}

/* ---- redemptions ---- */

typedef struct redeem_request {
    int64_t member_id, reward_id;
    char key[STORE_IDEM_KEY_MAX + 1];
    uint8_t hash[32]; /* what the key stands for: the member and the reward */
} redeem_request;

/* Answers a refusal with one error naming field; returns STORE_INVALID so nothing is kept. */
static int refuse(http_write *w, int status, const char *slug, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int refuse(http_write *w, int status, const char *slug, const char *field, const char *fmt, ...)
{
    errlist e;
    errlist_init(&e);
    char message[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    errlist_add(&e, field, "%s", message);
    http_write_answer_problem(w, status, slug, message, &e);
    return STORE_INVALID;
}

static void key_principal(int64_t member_id, char out[48])
{
    snprintf(out, 48, "redemption:member:%lld", (long long)member_id);
}

/* A replay of (member, key): the stored first answer while it is kept (a day), else the redemption as it is now.
 * Returns STORE_NOTFOUND when the key is new. */
static int redeem_replay(store_tx *tx, http_write *w, const redeem_request *q)
{
    char principal[48];
    key_principal(q->member_id, principal);
    store_idem prior;
    int status = store_tx_idem_get(tx, principal, q->key, &prior);
    if (status == STORE_OK && sodium_memcmp(prior.request_hash, q->hash, 32) == 0) {
        w->status = prior.status;
        w->content_type = "application/json";
        w->body = prior.body;
        w->location = prior.location;
        w->replayed = true;
        return STORE_INVALID; /* nothing to keep */
    }
    if (status == STORE_OK) {
        store_idem_release(&prior);
        return refuse(w, 409, "idempotency-conflict", "idempotency_key",
                      "this idempotency_key was used for this member with another reward");
    }
    if (status != STORE_NOTFOUND)
        return status;
    store_redemption d;
    if ((status = store_tx_redemption_by_key(tx, q->member_id, q->key, &d)) != STORE_OK)
        return status;
    if (sodium_memcmp(d.request_hash, q->hash, 32) != 0)
        return refuse(w, 409, "idempotency-conflict", "idempotency_key",
                      "this idempotency_key was used for this member with another reward");
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/redemptions/%lld", (long long)d.id);
    http_write_answer_json(w, 201, redemption_answer(tx, &d), location);
    w->replayed = true;
    return STORE_INVALID;
}

/* Whether the reward may be taken by this member now; answers the refusal and returns STORE_INVALID if not. */
static int redeem_check(store_tx *tx, http_write *w, const store_reward *rw, int64_t member_id)
{
    char at[TIMEFMT_LEN];
    if (!rw->active)
        return refuse(w, 409, "reward-unavailable", "reward_id", "this reward is not offered at the moment");
    if (rw->has_valid_from && w->now_ms < rw->valid_from) {
        timefmt_rfc3339(rw->valid_from, at);
        return refuse(w, 409, "reward-unavailable", "reward_id", "this reward is offered from %s", at);
    }
    if (rw->has_valid_until && w->now_ms > rw->valid_until) {
        timefmt_rfc3339(rw->valid_until, at);
        return refuse(w, 409, "reward-unavailable", "reward_id", "this reward was offered until %s", at);
    }
    if (rw->has_tiers) {
        tier_info tier;
        int status = tiers_member(tx, member_id, &tier);
        if (status != STORE_OK)
            return status;
        bool allowed = false;
        for (int i = 0; i < rw->tier_count && !allowed; i++)
            allowed = tier.id != 0 && rw->tiers[i] == tier.id;
        if (!allowed)
            return refuse(w, 409, "tier-not-allowed", "member_id", "this reward is only for members of other tiers");
    }
    if (rw->has_stock && rw->stock <= 0)
        return refuse(w, 409, "out-of-stock", "reward_id", "this reward is out of stock");
    if (rw->has_limit) {
        int64_t taken;
        int status = store_tx_redemption_count(tx, member_id, rw->id, &taken);
        if (status != STORE_OK)
            return status;
        if (taken >= rw->per_member_limit)
            return refuse(w, 409, "limit-reached", "reward_id", "a member may take this reward %lld times",
                          (long long)rw->per_member_limit);
    }
    return STORE_OK;
}

/* The member and the reward, or the refusal. */
static int redeem_load(store_tx *tx, http_write *w, const redeem_request *q, store_reward *rw)
{
    store_member_tier mt;
    int status = store_tx_member_tier_get(tx, q->member_id, &mt);
    if (status == STORE_NOTFOUND)
        return refuse(w, 404, "not-found", "member_id", "there is no member with this id");
    if (status != STORE_OK)
        return status;
    if (mt.erased)
        return refuse(w, 409, "conflict", "member_id", "this member was erased");
    status = store_tx_reward_get(tx, q->reward_id, rw);
    if (status == STORE_NOTFOUND)
        return refuse(w, 404, "not-found", "reward_id", "there is no reward with this id");
    return status;
}

static void make_code(char out[REDEMPTION_CODE_LEN + 1])
{
    /* 32 letters and digits without 0/O and 1/I: read aloud or typed at a till without mistakes; 50 bits. */
    static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    for (int i = 0; i < REDEMPTION_CODE_LEN; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[REDEMPTION_CODE_LEN] = '\0';
}

/* Takes the stock and the points for a new redemption d of rw. */
static int redeem_take(store_tx *tx, http_write *w, const store_reward *rw, store_redemption *d)
{
    points_balance b;
    int status = points_balance_get(tx, d->member_id, &b);
    if (status != STORE_OK)
        return status;
    if (b.available < rw->cost_points)
        return refuse(w, 409, "insufficient-points", "points",
                      "this reward costs %lld points; the member has %lld available", (long long)rw->cost_points,
                      (long long)b.available);
    if ((status = store_tx_redemption_insert(tx, d)) != STORE_OK)
        return status;
    if ((status = store_tx_reward_stock_take(tx, rw->id, w->now_ms)) == STORE_INVALID)
        return refuse(w, 409, "out-of-stock", "reward_id", "this reward is out of stock");
    if (status != STORE_OK)
        return status;
    json_t *why = json_pack("{s:I, s:s}", "reward_id", (json_int_t)rw->id, "reward", rw->name_en);
    points_ref ref = {.kind = "redeem", .actor = w->who.key, .redemption_id = d->id, .explanation = why};
    status = points_spend(tx, d->member_id, rw->cost_points, w->now_ms, REDEEMED_ACCOUNT, &ref);
    json_decref(why);
    if (status == STORE_INVALID)
        return refuse(w, 409, "insufficient-points", "points",
                      "this reward costs %lld points; the member has %lld available", (long long)rw->cost_points,
                      (long long)b.available);
    return status;
}

static int redeem_write(store_tx *tx, http_write *w)
{
    redeem_request *q = w->arg;
    store_reward rw;
    int status = redeem_replay(tx, w, q);
    if (status != STORE_NOTFOUND)
        return status;
    if ((status = redeem_load(tx, w, q, &rw)) != STORE_OK ||
        (status = redeem_check(tx, w, &rw, q->member_id)) != STORE_OK)
        return status;
    store_redemption d = {.member_id = q->member_id, .reward_id = rw.id, .points = rw.cost_points,
                          .created_at = w->now_ms, .updated_at = w->now_ms};
    snprintf(d.status, sizeof(d.status), "%s", kind_first_status(rw.kind) ? kind_first_status(rw.kind) : "issued");
    make_code(d.code);
    snprintf(d.idempotency_key, sizeof(d.idempotency_key), "%s", q->key);
    memcpy(d.request_hash, q->hash, 32);
    if ((status = redeem_take(tx, w, &rw, &d)) != STORE_OK)
        return status;
    store_actor actor = http_actor(&w->who);
    if ((status = store_tx_audit(tx, &actor, w->now_ms, "redemption.create", "redemption", d.id, NULL,
                                 redemption_json(&d))) != STORE_OK)
        return status;
    if ((status = webhooks_emit(tx, WEBHOOK_REWARD_REDEEMED, w->now_ms, "{s:I, s:I, s:I, s:I, s:s}", "redemption",
                                (json_int_t)d.id, "member", (json_int_t)d.member_id, "reward", (json_int_t)d.reward_id,
                                "points", (json_int_t)d.points, "status", d.status)) != STORE_OK)
        return status; /* webhooks (app/webhooks.c) */
    char location[64], principal[48];
    snprintf(location, sizeof(location), "/api/v1/redemptions/%lld", (long long)d.id);
    http_write_answer_json(w, 201, redemption_answer(tx, &d), location);
    /* The first answer, kept for replays in the same savepoint as the redemption itself. */
    store_idem rec = {.status = 201, .location = w->location, .body = w->body};
    memcpy(rec.request_hash, q->hash, 32);
    key_principal(q->member_id, principal);
    return store_tx_idem_put(tx, principal, q->key, &rec, w->now_ms);
}

static bool visible_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return false;
    return len > 0;
}

/* The idempotency key: the body's, else the Idempotency-Key header's. */
static void redeem_key(http_request *r, json_t *body, redeem_request *q, errlist *e)
{
    json_t *v = json_object_get(body, "idempotency_key");
    const char *key = NULL;
    size_t len = 0;
    if (json_is_string(v)) {
        key = json_string_value(v);
        len = json_string_length(v);
    } else if (!v) {
        ssize_t i = h2o_find_header_by_str(&r->req->headers, H2O_STRLIT("idempotency-key"), -1);
        if (i >= 0) {
            key = r->req->headers.entries[i].value.base;
            len = r->req->headers.entries[i].value.len;
        }
    }
    if (!key && !v)
        errlist_add(e, "idempotency_key", "is required");
    else if (!key || len > STORE_IDEM_KEY_MAX || !visible_ascii(key, len))
        errlist_add(e, "idempotency_key", "must be 1 to %d visible ASCII characters", STORE_IDEM_KEY_MAX);
    else
        memcpy(q->key, key, len);
}

static void read_id(json_t *body, const char *name, int64_t *out, errlist *e)
{
    json_t *v = json_object_get(body, name);
    if (!v)
        errlist_add(e, name, "is required");
    else if (!json_is_integer(v) || json_integer_value(v) < 1)
        errlist_add(e, name, "must be an id (a whole number above 0)");
    else
        *out = json_integer_value(v);
}

void http_redemption_create(http_request *r)
{
    static const char *const fields[] = {"member_id", "reward_id", "idempotency_key", NULL};
    json_t *body = http_body_json(r);
    if (!body)
        return;
    errlist e;
    errlist_init(&e);
    redeem_request *q = calloc(1, sizeof(*q));
    errlist_only_fields(&e, body, fields);
    read_id(body, "member_id", &q->member_id, &e);
    read_id(body, "reward_id", &q->reward_id, &e);
    redeem_key(r, body, q, &e);
    json_decref(body);
    if (e.count) {
        free(q);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    char what[48];
    int n = snprintf(what, sizeof(what), "%lld\n%lld", (long long)q->member_id, (long long)q->reward_id);
    crypto_generichash(q->hash, 32, (const unsigned char *)what, (size_t)n, NULL, 0);
    http_write_submit(r, redeem_write, q, free);
}

static bool move_allowed(const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
        if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].to, to) == 0)
            return true;
    return false;
}

/* Gives back what a redemption took: its points (from 'club:redeemed') and its stock. */
static int redeem_cancel(store_tx *tx, http_write *w, const store_redemption *d)
{
    points_programme p;
    int status = points_programme_get(tx, &p);
    if (status != STORE_OK)
        return status;
    json_t *why = json_pack("{s:I}", "reward_id", (json_int_t)d->reward_id);
    points_ref ref = {.kind = "redeem_cancel", .actor = w->who.key, .redemption_id = d->id, .explanation = why};
    status = points_refund(tx, &p, d->member_id, d->points, w->now_ms, REDEEMED_ACCOUNT, &ref);
    json_decref(why);
    if (status == STORE_OK)
        status = store_tx_reward_stock_return(tx, d->reward_id, w->now_ms);
    return status;
}

typedef struct status_change {
    int64_t id;
    char status[16];
} status_change;

static int redemption_update_write(store_tx *tx, http_write *w)
{
    status_change *c = w->arg;
    store_redemption d;
    int status = http_write_found(w, store_tx_redemption_get(tx, c->id, &d), "redemption");
    if (status != STORE_OK)
        return status;
    if (strcmp(d.status, c->status) == 0) { /* already there: a repeated request changes nothing */
        http_write_answer_json(w, 200, redemption_answer(tx, &d), NULL);
        return STORE_OK;
    }
    if (!move_allowed(d.status, c->status))
        return refuse(w, 409, "invalid-transition", "status", "a redemption cannot go from %s to %s", d.status,
                      c->status);
    json_t *before = redemption_json(&d);
    if (strcmp(c->status, "cancelled") == 0)
        status = redeem_cancel(tx, w, &d);
    if (status == STORE_OK)
        status = store_tx_redemption_status(tx, d.id, c->status, w->now_ms);
    snprintf(d.status, sizeof(d.status), "%s", c->status);
    d.updated_at = w->now_ms;
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "redemption.update", "redemption", d.id, json_incref(before),
                                redemption_json(&d));
    json_decref(before);
    http_write_answer_json(w, 200, redemption_answer(tx, &d), NULL);
    return status;
}

void http_redemption_update(http_request *r)
{
    static const char *const fields[] = {"status", NULL};
    errlist e;
    json_t *body = http_body_fields(r, fields, &e);
    if (!body)
        return;
    json_t *v = json_object_get(body, "status");
    bool known = false;
    for (const char *const *s = statuses; json_is_string(v) && *s && !known; s++)
        known = strcmp(*s, json_string_value(v)) == 0;
    if (!known)
        errlist_add(&e, "status", "must be one of issued, ordered, shipped, delivered, cancelled");
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    status_change *c = calloc(1, sizeof(*c));
    c->id = r->id;
    snprintf(c->status, sizeof(c->status), "%s", json_string_value(v));
    json_decref(body);
    http_write_submit(r, redemption_update_write, c, free);
}

void http_redemption_get(http_request *r)
{
    store_redemption d;
    int status = store_redemption_get(r->thread->reader, r->id, &d);
    if (status == STORE_OK)
        http_reply_json(r, 200, redemption_json(&d));
    else if (status == STORE_NOTFOUND)
        http_reply_problem(r, 404, "not-found", "there is no redemption with this id", NULL);
    else
        http_reply_problem(r, 500, "internal", "the redemption could not be read", NULL);
}

void http_member_redemptions(http_request *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t after_id;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    store_member_tier mt;
    int status = store_member_tier_get(r->thread->reader, r->id, &mt);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           "there is no member with this id", NULL);
        return;
    }
    json_t *items = json_array();
    int count;
    if (store_member_redemptions(r->thread->reader, r->id, after_id, limit + 1, append_redemption, items, &count) !=
        STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the redemptions could not be read", NULL);
        return;
    }
    http_reply_json(r, 200, page_json(items, limit));
}
