/* Recording purchases, returns and earning events (see purchases.h). */
#include "app/purchases.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/campaigns.h"
#include "app/classes.h"
#include "app/points.h"
#include "app/webhooks.h"
#include "app/tiers.h"
#include "core/jsonbuf.h"
#include "core/phone.h"
#include "core/text.h"
#include "core/timefmt.h"

#define FUTURE_SLACK_MS (24LL * 3600 * 1000) /* a till's clock may run ahead; more than a day is a mistake */
#define AMOUNT_MAX 1000000000000000LL        /* 10^15 minor units */

/* ---- parsing ---- */

static void copy_string(json_t *v, const char *field, char *dst, size_t cap, bool required, errlist *e)
{
    if (!v) {
        if (required)
            errlist_add(e, field, "is required");
        return;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap ||
        !text_valid_utf8(json_string_value(v), json_string_length(v))) {
        errlist_add(e, field, "must be text of 1 to %zu bytes", cap - 1);
        return;
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
}

static int64_t read_amount(json_t *v, const char *field, bool required, errlist *e)
{
    if (!v) {
        if (required)
            errlist_add(e, field, "is required");
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > AMOUNT_MAX) {
        errlist_add(e, field, "must be a whole number of minor units from 0 to 10^15");
        return 0;
    }
    return json_integer_value(v);
}

static void read_member(json_t *body, const char *phone_region, purchase_member *m, errlist *e)
{
    json_t *id = json_object_get(body, "member_id"), *ref = json_object_get(body, "member_external_ref"),
           *phone = json_object_get(body, "member_phone");
    memset(m, 0, sizeof(*m));
    if ((id != NULL) + (ref != NULL) + (phone != NULL) != 1) {
        errlist_add(e, "member_id", "give exactly one of member_id, member_external_ref, member_phone");
        return;
    }
    if (id && (!json_is_integer(id) || json_integer_value(id) <= 0))
        errlist_add(e, "member_id", "must be a member's id");
    else if (id)
        m->id = json_integer_value(id);
    if (ref)
        copy_string(ref, "member_external_ref", m->external_ref, sizeof(m->external_ref), true, e);
    if (phone) {
        const char *why = NULL;
        if (!json_is_string(phone) ||
            phone_normalize(json_string_value(phone), phone_region, m->phone, sizeof(m->phone), &why) != 0)
            errlist_add(e, "member_phone", "%s", why ? why : "must be a phone number");
    }
}

static int64_t read_time(json_t *v, const char *field, int64_t now, errlist *e)
{
    int64_t at;
    if (!v)
        return now;
    if (!json_is_string(v) || timefmt_parse(json_string_value(v), &at) != 0) {
        errlist_add(e, field, "must be an RFC 3339 time such as 2026-11-25T18:30:00+03:30");
        return now;
    }
    if (at > now + FUTURE_SLACK_MS)
        errlist_add(e, field, "must not be in the future");
    return at;
}

static void read_items(json_t *v, purchase_request *req, errlist *e)
{
    if (!v)
        return;
    if (!json_is_array(v) || json_array_size(v) > RULE_ITEMS_MAX) {
        errlist_add(e, "items", "must be an array of at most %d items", RULE_ITEMS_MAX);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        char field[64];
        rule_item *it = &req->items[req->nitems++];
        memset(it, 0, sizeof(*it));
        it->quantity = 1;
        if (!json_is_object(item)) {
            snprintf(field, sizeof(field), "items[%zu]", i);
            errlist_add(e, field, "must be an object {sku, category, quantity, amount}");
            continue;
        }
        const char *key;
        json_t *val;
        json_object_foreach(item, key, val) {
            snprintf(field, sizeof(field), "items[%zu].%.20s", i, key);
            if (strcmp(key, "sku") == 0)
                copy_string(val, field, it->sku, sizeof(it->sku), true, e);
            else if (strcmp(key, "category") == 0)
                copy_string(val, field, it->category, sizeof(it->category), true, e);
            else if (strcmp(key, "amount") == 0)
                it->amount_minor = read_amount(val, field, true, e);
            else if (strcmp(key, "quantity") == 0) {
                if (!json_is_integer(val) || json_integer_value(val) < 1 || json_integer_value(val) > 1000000)
                    errlist_add(e, field, "must be a whole number from 1 to 1000000");
                else
                    it->quantity = json_integer_value(val);
            } else
                errlist_add(e, field, "is not a known field");
        }
    }
    req->items_json = json_incref(v);
}


static void hash_body(json_t *body, uint8_t out[32])
{
    char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    crypto_generichash(out, 32, (const unsigned char *)(canon ? canon : ""), canon ? strlen(canon) : 0, NULL, 0);
    free(canon);
}

int purchase_parse(json_t *body, const char *phone_region, int64_t now, purchase_request *req, errlist *e)
{
    static const char *const fields[] = {"type", "member_id", "member_external_ref", "member_phone", "store",
                                         "txn_id", "amount", "items", "occurred_at", "original_txn_id", NULL};
    /* Everything but the items, which read_items clears one by one as it fills them: the whole array is about
     * 30 KB, more than the rest of parsing a purchase costs. */
    memset(req, 0, offsetof(purchase_request, items));
    memset(&req->nitems, 0, sizeof(*req) - offsetof(purchase_request, nitems));
    int before = e->count;
    errlist_only_fields(e, body, fields);
    json_t *type = json_object_get(body, "type");
    if (!json_is_string(type) ||
        (strcmp(json_string_value(type), "purchase") != 0 && strcmp(json_string_value(type), "return") != 0))
        errlist_add(e, "type", "must be \"purchase\" or \"return\"");
    else
        snprintf(req->type, sizeof(req->type), "%s", json_string_value(type));
    read_member(body, phone_region, &req->member, e);
    copy_string(json_object_get(body, "store"), "store", req->store, sizeof(req->store), true, e);
    copy_string(json_object_get(body, "txn_id"), "txn_id", req->txn_id, sizeof(req->txn_id), true, e);
    req->amount_minor = read_amount(json_object_get(body, "amount"), "amount", true, e);
    read_items(json_object_get(body, "items"), req, e);
    req->occurred_at = read_time(json_object_get(body, "occurred_at"), "occurred_at", now, e);
    json_t *orig = json_object_get(body, "original_txn_id");
    if (strcmp(req->type, "return") == 0) {
        copy_string(orig, "original_txn_id", req->original_txn_id, sizeof(req->original_txn_id), true, e);
        if (req->amount_minor == 0 && json_object_get(body, "amount"))
            errlist_add(e, "amount", "a return must return something");
    } else if (orig) {
        errlist_add(e, "original_txn_id", "belongs to returns only");
    }
    hash_body(body, req->request_hash);
    return e->count - before;
}

int earning_event_parse(json_t *body, const char *phone_region, int64_t now, earning_event *ev, errlist *e)
{
    static const char *const fields[] = {"type", "name", "member_id", "member_external_ref", "member_phone",
                                         "event_id", "occurred_at", NULL};
    static const char *const types[] = {"joined", "profile_completed", "survey_answered", "custom", NULL};
    memset(ev, 0, sizeof(*ev));
    int before = e->count;
    errlist_only_fields(e, body, fields);
    json_t *type = json_object_get(body, "type");
    bool ok = false;
    for (const char *const *t = types; json_is_string(type) && *t && !ok; t++)
        ok = strcmp(json_string_value(type), *t) == 0;
    if (!ok)
        errlist_add(e, "type", "must be one of joined, profile_completed, survey_answered, custom");
    else
        snprintf(ev->type, sizeof(ev->type), "%s", json_string_value(type));
    copy_string(json_object_get(body, "name"), "name", ev->name, sizeof(ev->name), strcmp(ev->type, "custom") == 0, e);
    read_member(body, phone_region, &ev->member, e);
    copy_string(json_object_get(body, "event_id"), "event_id", ev->event_id, sizeof(ev->event_id), true, e);
    ev->occurred_at = read_time(json_object_get(body, "occurred_at"), "occurred_at", now, e);
    hash_body(body, ev->request_hash);
    return e->count - before;
}

void purchase_release(purchase_request *req)
{
    json_decref(req->items_json);
    req->items_json = NULL;
}

/* ---- recording ---- */

static void answer_problem(purchase_answer *a, int status, const char *slug, const char *field, const char *detail)
{
    a->status = status;
    a->slug = slug;
    snprintf(a->detail, sizeof(a->detail), "%s", detail);
    errlist_init(&a->errs);
    if (field)
        errlist_add(&a->errs, field, "%s", detail);
}

/* Finds the member a request names, with their aggregates and tier in the same read; answers 404 (or 409 for an
 * erased one) when it cannot. */
static int find_member(store_tx *tx, const purchase_member *pm, purchase_answer *a, store_member_account *out,
                       store_member_class *cls)
{
    int status = store_tx_member_account_class(tx, pm->id, pm->external_ref, pm->phone, out, cls);
    const char *field = pm->id ? "member_id" : pm->external_ref[0] ? "member_external_ref" : "member_phone";
    if (status == STORE_NOTFOUND) {
        answer_problem(a, 404, "not-found", field, "there is no such member");
        return STORE_NOTFOUND;
    }
    if (status != STORE_OK)
        return status;
    if (out->erased) {
        answer_problem(a, 409, "conflict", field, "this member was erased");
        return STORE_INVALID;
    }
    return STORE_OK;
}

typedef struct grant_lookup {
    store_tx *tx;
    int64_t member_id;
    const char *time_zone;
} grant_lookup;

/* What a rule gave the member in a cap's period: what purchases' explanations say it gave them, and the rule_grants
 * rows of other events (and of purchases recorded before migration 0015, which removed the purchases' own rows). */
static int64_t granted(void *arg, int64_t rule_id, rule_period period, int64_t at)
{
    grant_lookup *g = arg;
    int64_t from, to, events = 0, purchases = 0;
    /* When the record cannot be read, the cap counts as reached: a cap must never pay out in full by mistake. */
    if (rules_period_bounds(period, at, g->time_zone, &from, &to) != 0 ||
        store_tx_rule_granted(g->tx, g->member_id, rule_id, from, to, &events) != STORE_OK ||
        store_tx_purchase_rule_granted(g->tx, g->member_id, rule_id, from, to, &purchases) != STORE_OK ||
        events > RULE_POINTS_MAX - purchases)
        return RULE_POINTS_MAX;
    return events + purchases;
}

/* Evaluates the rules for an event of the member, adding the tier's multiplier for purchases. */
static int evaluate(store_tx *tx, const points_programme *p, const char *event, rule_context *ctx, int64_t member_id,
                    const tier_info *tier, rule_result *res)
{
    const rule *rules;
    int n = 0;
    grant_lookup g = {tx, member_id, p->time_zone};
    ctx->granted = granted;
    ctx->granted_arg = &g;
    rules_local_time(ctx->occurred_at_ms, p->time_zone, &ctx->local_weekday, &ctx->local_hour);
    /* The writer's cached rules of the event; rules_evaluate leaves out those outside their date window. */
    int status = store_tx_rules_active(tx, event, &rules, &n);
    if (status != STORE_OK)
        return status;
    rules_evaluate(rules, n, ctx, res);
    if (tier && tier->multiplier_permille > 1000 && res->points > 0 && res->count < RULES_MAX) {
        rule_grant *extra = &res->grants[res->count];
        memset(extra, 0, sizeof(*extra));
        snprintf(extra->rule, sizeof(extra->rule), "tier %.80s: x%d.%03d", tier->name_en,
                 tier->multiplier_permille / 1000 % 1000, tier->multiplier_permille % 1000);
        __int128 bonus = (__int128)res->points * (tier->multiplier_permille - 1000) / 1000;
        extra->points = bonus > RULE_POINTS_MAX - res->points ? RULE_POINTS_MAX - res->points : (int64_t)bonus;
        if (extra->points > 0) {
            res->points += extra->points;
            res->count++;
        }
    }
    /* A purchase's grants are kept in its explanation only (granted() reads them there, whether or not the rule had
     * a cap then, so a cap added later counts them all); other events keep theirs in rule_grants. */
    bool in_explanation = strcmp(event, "purchase") == 0;
    for (int i = 0; i < res->count && !in_explanation; i++)
        if (res->grants[i].rule_id > 0 && res->grants[i].points > 0 &&
            (status = store_tx_rule_grant_add(tx, member_id, res->grants[i].rule_id, ctx->occurred_at_ms,
                                              res->grants[i].points)) != STORE_OK)
            return status;
    return STORE_OK;
}

static json_t *balance_json(const points_balance *b)
{
    return json_pack("{s:I, s:I, s:I}", "available", (json_int_t)b->available, "pending", (json_int_t)b->pending,
                     "lifetime", (json_int_t)b->lifetime);
}

/* The explanation of a purchase as JSON text: [{"rule_id", "rule", "points"}], as rules_explanation() gives it. */
static char *explanation_text(const rule_result *res)
{
    jsonbuf b;
    jsonbuf_init(&b);
    jsonbuf_raw(&b, "[");
    for (int i = 0; i < res->count; i++) {
        jsonbuf_raw(&b, i ? ",{\"rule_id\":" : "{\"rule_id\":");
        jsonbuf_int(&b, res->grants[i].rule_id);
        jsonbuf_raw(&b, ",\"rule\":");
        jsonbuf_str(&b, res->grants[i].rule);
        jsonbuf_raw(&b, ",\"points\":");
        jsonbuf_int(&b, res->grants[i].points);
        jsonbuf_raw(&b, "}");
    }
    jsonbuf_raw(&b, "]");
    return jsonbuf_take(&b);
}

/* The first answer to a transaction: stored with it, so a replay returns it unchanged; the text stored is the
 * text sent (a->text), written once. explanation is JSON text; b is the member's balance after the transaction. */
static int answer_txn(store_tx *tx, store_txn *t, const char *explanation, int64_t points, int64_t reversed,
                      const tier_info *tier, const points_balance *b, purchase_answer *a)
{
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(t->occurred_at, at);
    jsonbuf j;
    jsonbuf_init(&j);
    jsonbuf_raw(&j, "{\"id\":");
    jsonbuf_int(&j, t->id);
    jsonbuf_raw(&j, ",\"type\":");
    jsonbuf_str(&j, t->type);
    jsonbuf_raw(&j, ",\"member_id\":");
    jsonbuf_int(&j, t->member_id);
    jsonbuf_raw(&j, ",\"store\":");
    jsonbuf_str(&j, t->store);
    jsonbuf_raw(&j, ",\"txn_id\":");
    jsonbuf_str(&j, t->txn_id);
    jsonbuf_raw(&j, ",\"amount\":");
    jsonbuf_int(&j, t->amount_minor);
    jsonbuf_raw(&j, ",\"occurred_at\":");
    jsonbuf_str(&j, at);
    jsonbuf_raw(&j, ",\"points_earned\":");
    jsonbuf_int(&j, points);
    jsonbuf_raw(&j, ",\"explanation\":");
    jsonbuf_raw(&j, explanation);
    jsonbuf_raw(&j, ",\"balance\":{\"available\":");
    jsonbuf_int(&j, b->available);
    jsonbuf_raw(&j, ",\"pending\":");
    jsonbuf_int(&j, b->pending);
    jsonbuf_raw(&j, ",\"lifetime\":");
    jsonbuf_int(&j, b->lifetime);
    jsonbuf_raw(&j, "},\"tier\":");
    if (tier->id == 0) {
        jsonbuf_raw(&j, "null");
    } else {
        jsonbuf_raw(&j, "{\"id\":");
        jsonbuf_int(&j, tier->id);
        jsonbuf_raw(&j, ",\"name_en\":");
        jsonbuf_str(&j, tier->name_en);
        jsonbuf_raw(&j, ",\"name_fa\":");
        jsonbuf_str(&j, tier->name_fa);
        jsonbuf_raw(&j, "}");
    }
    if (strcmp(t->type, "return") == 0) {
        jsonbuf_raw(&j, ",\"points_reversed\":");
        jsonbuf_int(&j, reversed);
    }
    jsonbuf_raw(&j, "}");
    a->status = 201;
    a->text = jsonbuf_take(&j);
    return store_tx_txn_answer(tx, t->id, 201, a->text);
}

/* A replay answers as the first time; the same key with another body is a conflict. */
static int replay_or_conflict(const uint8_t stored_hash[32], const uint8_t hash[32], int status, const char *response,
                              purchase_answer *a)
{
    if (sodium_memcmp(stored_hash, hash, 32) != 0) {
        answer_problem(a, 409, "idempotency-conflict", "txn_id",
                       "this id was used before with a different request");
        return STORE_INVALID;
    }
    a->status = status;
    a->body = json_loads(response ? response : "{}", 0, NULL);
    a->replayed = true;
    return STORE_INVALID; /* nothing new to keep */
}

/* Records the purchase or return row itself (its answer is stored once known, by answer_txn). */
static int insert_txn(store_tx *tx, const purchase_request *req, int64_t member_id, const char *type,
                      int64_t original_id, int64_t points, const char *explanation, int64_t now, store_txn *t)
{
    memset(t, 0, sizeof(*t));
    t->member_id = member_id;
    t->amount_minor = req->amount_minor;
    t->occurred_at = req->occurred_at;
    t->recorded_at = now;
    t->original_id = original_id;
    t->points = points;
    t->status = 201;
    /* Plain copies: the request's fields have the row's sizes and are NUL-terminated by parsing. */
    _Static_assert(sizeof(t->store) == sizeof(req->store) && sizeof(t->txn_id) == sizeof(req->txn_id),
                   "transaction keys as the request's");
    memcpy(t->store, req->store, sizeof(t->store));
    memcpy(t->txn_id, req->txn_id, sizeof(t->txn_id));
    memcpy(t->type, type, strlen(type) + 1); /* "purchase" or "return" */
    memcpy(t->request_hash, req->request_hash, 32);
    t->items = req->items_json ? json_dumps(req->items_json, JSON_COMPACT) : NULL;
    t->explanation = (char *)explanation; /* borrowed for the insert */
    int status = store_tx_txn_insert(tx, t);
    t->explanation = NULL;
    store_txn_release(t); /* the texts are written; the row's id and keys stay */
    return status;
}

static int record_return(store_tx *tx, const purchase_request *req, const store_member_account *m,
                         const points_programme *p, int64_t now, const char *actor, purchase_answer *a)
{
    store_txn orig;
    int status = store_tx_txn_by_key(tx, req->store, req->original_txn_id, &orig);
    if (status == STORE_NOTFOUND || (status == STORE_OK && (strcmp(orig.type, "purchase") != 0 ||
                                                            orig.member_id != m->id))) {
        if (status == STORE_OK)
            store_txn_release(&orig);
        answer_problem(a, 404, "not-found", "original_txn_id", "there is no purchase of this member with this id at this store");
        return STORE_NOTFOUND;
    }
    if (status != STORE_OK)
        return status;
    int64_t left = orig.amount_minor - orig.amount_returned_minor;
    if (req->amount_minor > left) {
        store_txn_release(&orig);
        answer_problem(a, 409, "conflict", "amount", "the return is larger than what is left of the purchase");
        return STORE_INVALID;
    }
    /* Proportional, computed on the running total so that partial returns add up to the whole exactly. */
    int64_t returned = orig.amount_returned_minor + req->amount_minor;
    int64_t target = orig.amount_minor == 0 || returned == orig.amount_minor
                         ? orig.points
                         : (int64_t)((__int128)orig.points * returned / orig.amount_minor);
    int64_t to_reverse = target - orig.points_reversed;
    char why[192];
    snprintf(why, sizeof(why), "return of %s: %lld of %lld", orig.txn_id, (long long)req->amount_minor,
             (long long)orig.amount_minor);
    json_t *explanation = json_pack("[{s:n, s:s, s:I}]", "rule_id", "rule", why, "points", (json_int_t)-to_reverse);
    char *why_text = json_dumps(explanation, JSON_COMPACT);
    store_txn t;
    int64_t reversed = 0;
    tier_info tier = {0};
    points_balance b = {0};
    points_ref ref = {.kind = "return", .actor = actor, .explanation = explanation, .explanation_text = why_text};
    status = why_text ? insert_txn(tx, req, m->id, "return", orig.id, to_reverse, why_text, now, &t) : STORE_ERROR;
    if (status == STORE_OK) {
        ref.transaction_id = t.id;
        status = points_reverse(tx, p, m->id, orig.id, to_reverse, now, &ref, &reversed);
    }
    if (status == STORE_OK)
        status = store_tx_txn_returned(tx, orig.id, to_reverse, req->amount_minor);
    if (status == STORE_OK)
        status = store_tx_member_purchase_add(tx, m->id, 0, -req->amount_minor, req->occurred_at);
    if (status == STORE_OK)
        status = classes_on_return(tx, m->id, now); /* class, scores, value: app/classes.c */
    if (status == STORE_OK)
        status = tiers_reevaluate_known(tx, &m->tier, now, &tier);
    if (status == STORE_OK)
        status = points_balance_get(tx, m->id, &b);
    if (status == STORE_OK)
        status = answer_txn(tx, &t, why_text, -reversed, reversed, &tier, &b, a);
    if (status == STORE_OK) /* webhooks (app/webhooks.c) */
        status = webhooks_emit(tx, WEBHOOK_PURCHASE_RECORDED, now, "{s:I, s:I, s:s, s:s, s:s, s:I, s:I}", "transaction",
                               (json_int_t)t.id, "member", (json_int_t)m->id, "type", "return", "store", req->store,
                               "txn_id", req->txn_id, "amount_minor", (json_int_t)req->amount_minor, "points",
                               (json_int_t)-reversed);
    free(why_text);
    json_decref(explanation);
    store_txn_release(&orig);
    return status;
}

/* The one place a purchase changes the member's aggregates (member_stats): the points the purchase earned (d), the
 * purchase aggregates (count, money spent, last purchase) and what they make of the buyer's class, scores and value
 * (app/classes.c; cls is the class record read with the account), in one update. *after is the balance that
 * leaves. */
static int apply_purchase_aggregates(store_tx *tx, const store_member_account *m, const store_member_class *cls,
                                     const purchase_request *req, const points_delta *d, int64_t now,
                                     points_balance *after)
{
    store_member_delta delta = {.available = d->available, .pending = d->pending, .lifetime = d->lifetime,
                                .purchase_count = 1, .spent_minor = req->amount_minor,
                                .purchase_at = req->occurred_at};
    after->available = m->points.available + d->available;
    after->pending = m->points.pending + d->pending;
    after->lifetime = m->points.lifetime + d->lifetime;
    /* The class record as the aggregates' update leaves it, which is what the class rules read. */
    store_member_class cur = *cls, next;
    cur.purchase_count += delta.purchase_count;
    cur.total_spent_minor += delta.spent_minor;
    if (req->occurred_at > cur.last_purchase_at)
        cur.last_purchase_at = req->occurred_at;
    bool moved = false;
    int status = classes_on_purchase(tx, &cur, req->occurred_at, now, &next, &moved);
    return status == STORE_OK ? store_tx_member_purchase_apply(tx, m->id, &delta, &next, moved) : status;
}

static int record_purchase(store_tx *tx, const purchase_request *req, const store_member_account *m,
                           const store_member_class *cls, const points_programme *p, int64_t now, const char *actor,
                           purchase_answer *a)
{
    tier_info tier = {0};
    int status = tiers_member_known(tx, &m->tier, &tier);
    if (status != STORE_OK)
        return status;
    /* purchase_count is kept with every purchase (verify checks it against the transactions). */
    rule_context ctx = {.event = "purchase", .amount_minor = req->amount_minor, .items = req->items,
                        .nitems = req->nitems, .store = req->store, .occurred_at_ms = req->occurred_at,
                        .tier_id = tier.id, .first_purchase = m->points.purchase_count == 0};
    rule_result res;
    if ((status = evaluate(tx, p, "purchase", &ctx, m->id, &tier, &res)) != STORE_OK ||
        (status = campaigns_on_purchase(tx, p, m->id, req->occurred_at, now, &res)) != STORE_OK) /* multipliers */
        return status;
    char *why_text = explanation_text(&res);
    store_txn t;
    points_delta d = {0};
    points_balance after = {0};
    points_ref ref = {.kind = "earn", .actor = actor, .explanation_text = why_text};
    status = insert_txn(tx, req, m->id, "purchase", 0, res.points, why_text, now, &t);
    if (status == STORE_OK) {
        ref.transaction_id = t.id;
        status = points_earn_lot(tx, p, &m->points, m->id, res.points, now, &ref, &d);
    }
    if (status == STORE_OK)
        status = apply_purchase_aggregates(tx, m, cls, req, &d, now, &after);
    if (status == STORE_OK)
        status = tiers_reevaluate_known(tx, &m->tier, now, &tier);
    if (status == STORE_OK)
        status = answer_txn(tx, &t, why_text, res.points, 0, &tier, &after, a);
    if (status == STORE_OK) /* webhooks (app/webhooks.c): a cheap no-op without subscribers */
        status = webhooks_emit(tx, WEBHOOK_PURCHASE_RECORDED, now, "{s:I, s:I, s:s, s:s, s:s, s:I, s:I}", "transaction",
                               (json_int_t)t.id, "member", (json_int_t)m->id, "type", "purchase", "store", req->store,
                               "txn_id", req->txn_id, "amount_minor", (json_int_t)req->amount_minor, "points",
                               (json_int_t)res.points);
    free(why_text);
    return status;
}

int purchase_record(store_tx *tx, const purchase_request *req, int64_t now, const char *actor, purchase_answer *a)
{
    store_txn prior;
    int status = store_tx_txn_by_key(tx, req->store, req->txn_id, &prior);
    if (status == STORE_OK) {
        status = replay_or_conflict(prior.request_hash, req->request_hash, prior.status, prior.response, a);
        store_txn_release(&prior);
        return status;
    }
    if (status != STORE_NOTFOUND)
        return status;
    store_member_account m;
    store_member_class cls;
    points_programme p;
    if ((status = find_member(tx, &req->member, a, &m, &cls)) != STORE_OK)
        return status;
    status = points_programme_get(tx, &p);
    if (status == STORE_OK)
        status = strcmp(req->type, "return") == 0 ? record_return(tx, req, &m, &p, now, actor, a)
                                                  : record_purchase(tx, req, &m, &cls, &p, now, actor, a);
    return status;
}

int earning_event_record(store_tx *tx, const earning_event *ev, int64_t now, const char *actor, purchase_answer *a)
{
    store_event prior;
    int status = store_tx_event_by_key(tx, ev->source, ev->event_id, &prior);
    if (status == STORE_OK) {
        status = replay_or_conflict(prior.request_hash, ev->request_hash, 201, prior.response, a);
        free(prior.explanation);
        free(prior.response);
        if (a->slug)
            snprintf(a->errs.items[0].field, sizeof(a->errs.items[0].field), "event_id");
        return status;
    }
    if (status != STORE_NOTFOUND)
        return status;
    store_member_account m;
    points_programme p;
    if ((status = find_member(tx, &ev->member, a, &m, NULL)) != STORE_OK)
        return status;
    rule_context ctx = {.event = ev->type, .event_name = ev->name[0] ? ev->name : NULL, .occurred_at_ms = ev->occurred_at};
    rule_result res;
    res.points = 0;
    res.count = 0;
    status = points_programme_get(tx, &p);
    if (status == STORE_OK)
        status = evaluate(tx, &p, ev->type, &ctx, m.id, NULL, &res);
    json_t *explanation = rules_explanation(&res);
    store_event row;
    memset(&row, 0, sizeof(row));
    snprintf(row.source, sizeof(row.source), "%s", ev->source);
    snprintf(row.event_id, sizeof(row.event_id), "%s", ev->event_id);
    snprintf(row.type, sizeof(row.type), "%s", ev->type);
    snprintf(row.name, sizeof(row.name), "%s", ev->name);
    row.member_id = m.id;
    row.occurred_at = ev->occurred_at;
    row.points = res.points;
    memcpy(row.request_hash, ev->request_hash, 32);
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(ev->occurred_at, at);
    points_ref ref = {.kind = "earn", .actor = actor, .explanation = explanation};
    if (status == STORE_OK)
        status = points_earn(tx, &p, m.id, res.points, now, &ref);
    points_balance b = {0};
    if (status == STORE_OK)
        status = points_balance_get(tx, m.id, &b);
    if (status == STORE_OK) {
        a->status = 201;
        a->body = json_pack("{s:s, s:s?, s:I, s:s, s:s, s:I, s:O, s:o}", "type", ev->type, "name",
                            ev->name[0] ? ev->name : NULL, "member_id", (json_int_t)m.id, "event_id", ev->event_id,
                            "occurred_at", at, "points_earned", (json_int_t)res.points, "explanation", explanation,
                            "balance", balance_json(&b));
        row.explanation = json_dumps(explanation, JSON_COMPACT);
        row.response = json_dumps(a->body, JSON_COMPACT);
        status = store_tx_event_insert(tx, &row);
        free(row.explanation);
        free(row.response);
    }
    json_decref(explanation);
    return status;
}
