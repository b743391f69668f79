/* /api/v1/budget/costs: the club's actual costs. Campaigns and moments post theirs into the same table in the
 * commit that incurs them (points at their money value, gifts, messages); staff post the rest here by hand
 * (source "manual"): staff, events, software and the like. docs/budget.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "http/budget.h"
#include "http/http.h"

#define COST_AMOUNT_MAX 1000000000000000LL

static json_t *text_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }

static json_t *cost_json(const store_cost *c)
{
    return json_pack("{s:I, s:s, s:I, s:o, s:s, s:o, s:o, s:o, s:s, s:o}", "id", (json_int_t)c->id, "category",
                     c->category, "amount_minor", (json_int_t)c->amount_minor, "at", timefmt_json(c->at), "source",
                     c->source, "campaign_id", c->campaign_id ? json_integer(c->campaign_id) : json_null(), "ref",
                     text_or_null(c->ref), "note", text_or_null(c->note), "actor", c->actor, "created_at",
                     timefmt_json(c->created_at));
}

static const http_text_field cost_texts[] = {
    {"note", offsetof(store_cost, note), STORE_BUDGET_NOTE_MAX + 1, false, false},
    {"ref", offsetof(store_cost, ref), 64, false, true},
};

/* A cost by hand from body; errors name the field. */
static void cost_apply_json(store_cost *c, json_t *body, errlist *e)
{
    static const char *const fields[] = {"category", "amount_minor", "at", "campaign_id", "note", "ref", NULL};
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return;
    }
    errlist_only_fields(e, body, fields);
    json_t *v = json_object_get(body, "category");
    if (!v)
        errlist_add(e, "category", "is required");
    else if (!json_is_string(v) || !http_budget_category_ok(json_string_value(v)))
        errlist_add(e, "category", "must be gifts, messages, staff, events, software, points or other");
    else
        snprintf(c->category, sizeof(c->category), "%s", json_string_value(v));
    v = json_object_get(body, "amount_minor");
    if (!v)
        errlist_add(e, "amount_minor", "is required");
    else if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > COST_AMOUNT_MAX)
        errlist_add(e, "amount_minor", "must be a whole number of minor units from 1 to %lld", COST_AMOUNT_MAX);
    else
        c->amount_minor = json_integer_value(v);
    v = json_object_get(body, "at");
    if (v && (!json_is_string(v) || timefmt_parse(json_string_value(v), &c->at) != 0))
        errlist_add(e, "at", "must be a time (RFC 3339) or a date (YYYY-MM-DD)");
    v = json_object_get(body, "campaign_id");
    if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 1))
        errlist_add(e, "campaign_id", "must be a campaign's id or null");
    else if (v && json_is_integer(v))
        c->campaign_id = json_integer_value(v);
    for (size_t i = 0; i < sizeof(cost_texts) / sizeof(cost_texts[0]); i++)
        if ((v = json_object_get(body, cost_texts[i].name)))
            http_apply_text(&cost_texts[i], v, (char *)c + cost_texts[i].offset, e);
}

static void cost_free(void *p) { free(p); }

static int cost_write(store_tx *tx, http_write *w)
{
    store_cost *c = w->arg;
    snprintf(c->actor, sizeof(c->actor), "%s", w->who.name);
    c->created_at = w->now_ms;
    if (!c->at)
        c->at = w->now_ms;
    int status = store_tx_budget_cost_insert(tx, c);
    if (status == STORE_CONFLICT) { /* the only constraint a valid cost can break: the campaign's reference */
        errlist e;
        errlist_init(&e);
        errlist_add(&e, "campaign_id", "is not a campaign's id");
        http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
        return STORE_INVALID;
    }
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "cost.create", "cost", c->id, NULL, cost_json(c));
    if (status == STORE_OK)
        http_write_answer_json(w, 201, cost_json(c), NULL);
    return status;
}

void http_budget_cost_create(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_cost *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    snprintf(c->source, sizeof(c->source), "manual");
    errlist e;
    errlist_init(&e);
    cost_apply_json(c, body, &e);
    json_decref(body);
    if (e.count) {
        free(c);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    http_write_submit(r, cost_write, c, cost_free);
}

static void append_cost(const store_cost *c, void *items) { json_array_append_new(items, cost_json(c)); }

/* GET /api/v1/budget/costs?category=&campaign_id=&period=&limit=&cursor=: newest first. */
void http_budget_cost_list(http_request *r)
{
    static const char *const allowed[] = {"category", "campaign_id", "period", "limit", "cursor", NULL};
    int limit;
    int64_t before_id = 0;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &before_id))
        return;
    errlist e;
    errlist_init(&e);
    char category[32], campaign[32], period[32];
    bool has_category = http_query(r, "category", category, sizeof(category), &e);
    if (has_category && !http_budget_category_ok(category))
        errlist_add(&e, "category", "must be gifts, messages, staff, events, software, points or other");
    store_cost_filter f = {.category = has_category ? category : NULL, .before_id = before_id, .limit = limit + 1};
    if (http_query(r, "campaign_id", campaign, sizeof(campaign), &e)) {
        char *end = NULL;
        long long id = strtoll(campaign, &end, 10);
        if (!campaign[0] || *end || id < 1)
            errlist_add(&e, "campaign_id", "must be a campaign's id");
        f.campaign_id = id;
    }
    store_reader_version(r->thread->reader); /* see every commit acknowledged before this request */
    if (http_query(r, "period", period, sizeof(period), &e)) {
        store_programme p;
        const char *why = NULL;
        if (store_programme_read(r->thread->reader, &p) != STORE_OK) {
            http_reply_problem(r, 500, "internal", "the programme could not be read", NULL);
            return;
        }
        if (http_budget_period(&p, period, &f.from, &f.to, &why) != 0)
            errlist_add(&e, "period", "%s", why);
    }
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some query parameters are not valid", &e);
        return;
    }
    json_t *items = json_array();
    if (store_budget_costs(r->thread->reader, &f, append_cost, items) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the costs could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, limit);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
