/* /api/v1/campaigns: campaigns with their audience, offer, budget and guard rails, their changes of state, and the
 * launch. Bodies are checked on the loop thread (with the guard rails, which read the audience's recent spend on
 * the thread's reader); the writer re-applies them to the current record inside its savepoint, checks what only it
 * can (the budget against what is spent, the state, the segment and reward named), audits and answers. Granting
 * is the executor's (app/campaigns.c), run by the job table. The body's checks and the JSON are in campaign_body.c,
 * the guard rails in campaign_guard.c. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/campaigns.h"
#include "core/timefmt.h"
#include "http/http.h"
#include "http/campaigns.h"
#include "jobs/jobs.h"

static void change_free(void *p)
{
    campaign_change *c = p;
    json_decref(c->body);
    free(c);
}

/* ---- writes ---- */

/* What only the writer can check: the segment, reward and survey named exist, and the budget is not below what
 * is spent. */
static void check_on_writer(store_tx *tx, const store_campaign *c, errlist *e)
{
    json_t *aud = c->audience ? json_loads(c->audience, 0, NULL) : NULL;
    json_t *offer = c->offer ? json_loads(c->offer, 0, NULL) : NULL;
    json_t *sid = json_object_get(aud, "segment_id"), *rid = json_object_get(offer, "reward_id");
    store_segment g;
    store_reward rw;
    store_survey sv;
    if (sid && store_tx_segment_get(tx, json_integer_value(sid), &g) == STORE_OK)
        store_segment_release(&g);
    else if (sid)
        errlist_add(e, "audience.segment_id", "there is no segment with this id");
    if (rid && store_tx_reward_get(tx, json_integer_value(rid), &rw) != STORE_OK)
        errlist_add(e, "offer.reward_id", "there is no reward with this id");
    if (c->survey_id && store_tx_survey_get(tx, c->survey_id, &sv) == STORE_OK)
        store_survey_release(&sv);
    else if (c->survey_id)
        errlist_add(e, "survey_id", "there is no survey with this id");
    if (c->budget_money_minor < c->spent_money_minor)
        errlist_add(e, "budget.money", "must not be below what the campaign has spent (%lld)",
                    (long long)c->spent_money_minor);
    if (c->budget_points < c->spent_points)
        errlist_add(e, "budget.points", "must not be below what the campaign has spent (%lld points)",
                    (long long)c->spent_points);
    json_decref(aud);
    json_decref(offer);
}

static bool apply_on_writer(store_tx *tx, http_write *w, store_campaign *c, campaign_change *ch, bool creating)
{
    errlist e;
    errlist_init(&e);
    http_campaign_apply_json(c, ch->body, creating, &e);
    if (e.count == 0)
        check_on_writer(tx, c, &e);
    if (e.count == 0)
        return true;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", &e);
    return false;
}

static int create_write(store_tx *tx, http_write *w)
{
    campaign_change *ch = w->arg;
    store_campaign c = {0};
    snprintf(c.metric, sizeof(c.metric), "redemption_rate");
    snprintf(c.state, sizeof(c.state), "draft");
    c.metric_days = 30;
    c.created_at = c.updated_at = w->now_ms;
    snprintf(c.created_by, sizeof(c.created_by), "%s", w->who.key);
    int status = apply_on_writer(tx, w, &c, ch, true) ? store_tx_campaign_insert(tx, &c) : STORE_INVALID;
    if (status == STORE_OK)
        status = http_campaign_guard_store(tx, &c, ch, w->now_ms);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = campaigns_state_change(tx, c.id, NULL, "draft", w->who.key, "created", w->now_ms);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "campaign.create", "campaign", c.id, NULL,
                                http_campaign_json(&c));
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/campaigns/%lld", (long long)c.id);
    if (status == STORE_OK)
        http_write_answer_json(w, 201, http_campaign_answer(&c, ch), location);
    store_campaign_release(&c);
    return status;
}

static int load_on_writer(store_tx *tx, http_write *w, int64_t id, store_campaign *c)
{
    return http_write_found(w, store_tx_campaign_get(tx, id, c), "campaign");
}

static int update_write(store_tx *tx, http_write *w)
{
    campaign_change *ch = w->arg;
    store_campaign c;
    int status = load_on_writer(tx, w, ch->id, &c);
    if (status != STORE_OK)
        return status;
    json_t *before = http_campaign_json(&c);
    c.updated_at = w->now_ms;
    status = apply_on_writer(tx, w, &c, ch, false) ? store_tx_campaign_update(tx, &c) : STORE_INVALID;
    if (status == STORE_OK)
        status = http_campaign_guard_store(tx, &c, ch, w->now_ms);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "campaign.update", "campaign", c.id, json_incref(before),
                                http_campaign_json(&c));
    if (status == STORE_OK)
        http_write_answer_json(w, 200, http_campaign_answer(&c, ch), NULL);
    json_decref(before);
    store_campaign_release(&c);
    return status;
}

/* Reads the campaign a patch changes, applies the body to a copy and checks it with the guard rails; the writer
 * applies it again to the record as it is then. */
static void submit_campaign_json(http_request *r, json_t *body, bool creating, http_write_fn fn)
{
    campaign_change *ch = calloc(1, sizeof(*ch));
    if (!ch)
        abort();
    ch->body = body;
    ch->id = creating ? 0 : r->id;
    store_campaign c = {0};
    snprintf(c.metric, sizeof(c.metric), "redemption_rate");
    snprintf(c.state, sizeof(c.state), "draft");
    if (!creating) {
        int status = store_campaign_get(r->thread->reader, r->id, &c);
        if (status != STORE_OK) {
            change_free(ch);
            http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500,
                               status == STORE_NOTFOUND ? "not-found" : "internal",
                               status == STORE_NOTFOUND ? "there is no campaign with this id"
                                                        : "the campaign could not be read",
                               NULL);
            return;
        }
    }
    errlist e;
    errlist_init(&e);
    if (!json_is_object(body))
        errlist_add(&e, "body", "must be a JSON object");
    else
        http_campaign_apply_json(&c, body, creating, &e);
    if (e.count == 0 && http_campaign_guard_compute(r, &c, ch) == 0)
        http_campaign_guard_check(&c, ch, &e);
    store_campaign_release(&c);
    if (e.count) {
        change_free(ch);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    http_write_submit(r, fn, ch, change_free);
}

void http_campaign_create(http_request *r)
{
    json_t *body = http_body_json(r);
    if (body)
        submit_campaign_json(r, body, true, create_write);
}

void http_campaign_update(http_request *r)
{
    json_t *body = http_body_json(r);
    if (body)
        submit_campaign_json(r, body, false, update_write);
}

/* ---- states ---- */

static int state_write(store_tx *tx, http_write *w)
{
    campaign_change *ch = w->arg;
    store_campaign c;
    int status = load_on_writer(tx, w, ch->id, &c);
    if (status != STORE_OK)
        return status;
    errlist e;
    errlist_init(&e);
    if (!campaign_transition_allowed(c.state, ch->to)) {
        errlist_add(&e, "to", "a campaign in state %s cannot move to %s here", c.state, ch->to);
        http_write_answer_problem(w, 409, "conflict", "this change of state is not allowed", &e);
        store_campaign_release(&c);
        return STORE_INVALID;
    }
    int64_t treated = 0, holdout = 0;
    bool more = false, launch = strcmp(c.state, "draft") == 0 && strcmp(ch->to, "running") == 0;
    if (launch) {
        status = campaign_launch_assign(tx, &c, ch->seed, w->who.key, w->now_ms, &treated, &holdout, &more);
        /* the grant job starts at the next tick; queued behind this job, it sees the assignments */
        if (status == STORE_OK)
            jobs_wake("grant_campaigns");
        if (status == STORE_INVALID) {
            errlist_add(&e, "audience", "the audience cannot be read (its segment is gone or no longer valid)");
            http_write_answer_problem(w, 400, "validation", "the campaign cannot be launched", &e);
        }
    }
    if (status == STORE_OK)
        status = campaigns_state_change(tx, c.id, c.state, ch->to, w->who.key, ch->reason, w->now_ms);
    store_actor actor = http_actor(&w->who);
    json_t *change = json_pack("{s:s, s:s, s:s}", "from", c.state, "to", ch->to, "reason", ch->reason);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "campaign.state", "campaign", c.id, NULL, change);
    else
        json_decref(change);
    store_campaign_release(&c);
    if (status == STORE_OK && (status = store_tx_campaign_get(tx, ch->id, &c)) == STORE_OK) {
        json_t *o = http_campaign_json(&c);
        if (launch)
            json_object_set_new(o, "launch", json_pack("{s:I, s:I, s:I, s:b}", "treated", (json_int_t)treated,
                                                       "holdout", (json_int_t)holdout, "seed", (json_int_t)ch->seed,
                                                       "assigning", more));
        http_write_answer_json(w, 200, o, NULL);
        store_campaign_release(&c);
    }
    return status;
}

void http_campaign_state(http_request *r)
{
    static const char *const fields[] = {"to", "reason", "seed", NULL};
    errlist e;
    json_t *body = http_body_fields(r, fields, &e);
    if (!body)
        return;
    const char *to = json_string_value(json_object_get(body, "to"));
    json_t *reason = json_object_get(body, "reason"), *seed = json_object_get(body, "seed");
    if (!campaign_state_valid(to))
        errlist_add(&e, "to", "must be one of draft, pilot, evaluating, running, finished, stopped");
    if (reason && (!json_is_string(reason) || json_string_length(reason) > REASON_MAX))
        errlist_add(&e, "reason", "must be text of at most %d bytes", REASON_MAX);
    if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0))
        errlist_add(&e, "seed", "must be a whole number from 0");
    if (e.count == 0 && strcmp(to, "stopped") == 0 && !roles_allows(r->who.role, PERM_CAMPAIGN_DECIDE)) {
        json_decref(body);
        http_reply_problem(r, 403, "forbidden", "stopping a campaign is a manager's decision", NULL);
        return;
    }
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    campaign_change *ch = calloc(1, sizeof(*ch));
    if (!ch)
        abort();
    ch->id = r->id;
    snprintf(ch->to, sizeof(ch->to), "%s", to);
    snprintf(ch->reason, sizeof(ch->reason), "%s", reason ? json_string_value(reason) : "");
    ch->seed = seed ? json_integer_value(seed) : (int64_t)(randombytes_random() & 0x7fffffff);
    json_decref(body);
    http_write_submit(r, state_write, ch, change_free);
}

/* ---- reads ---- */

void http_campaign_get(http_request *r)
{
    store_campaign c;
    int status = store_campaign_get(r->thread->reader, r->id, &c);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no campaign with this id"
                                                    : "the campaign could not be read",
                           NULL);
        return;
    }
    campaign_change ch = {0};
    http_campaign_guard_stored(r, &c, &ch); /* null when never estimated */
    json_t *o = http_campaign_answer(&c, &ch);
    store_campaign_release(&c);
    http_reply_json(r, 200, o);
}

static void append_campaign(const store_campaign *c, void *items)
{
    json_array_append_new(items, http_campaign_json(c));
}

void http_campaign_list(http_request *r)
{
    static const char *const allowed[] = {"state", "limit", "cursor", NULL};
    int limit;
    int64_t after_id = 0;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    char state[32];
    errlist e;
    errlist_init(&e);
    bool has_state = http_query(r, "state", state, sizeof(state), &e);
    if (e.count == 0 && has_state && !campaign_state_valid(state))
        errlist_add(&e, "state", "must be one of draft, pilot, evaluating, running, finished, stopped");
    if (e.count) {
        http_reply_problem(r, 400, "validation", "the query is not valid", &e);
        return;
    }
    json_t *items = json_array();
    int count;
    if (store_campaign_list(r->thread->reader, has_state ? state : NULL, after_id, limit + 1, append_campaign, items,
                            &count) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the campaigns could not be read", NULL);
        return;
    }
    json_t *next = http_page_next(items, limit);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

void http_campaign_changes(http_request *r)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    int limit;
    int64_t after_id = 0;
    if (!http_query_only(r, allowed) || !http_page_params(r, &limit, &after_id))
        return;
    store_campaign c;
    int status = store_campaign_get(r->thread->reader, r->id, &c);
    if (status != STORE_OK) {
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no campaign with this id"
                                                    : "the campaign could not be read",
                           NULL);
        return;
    }
    store_campaign_release(&c);
    json_t *items = json_array();
    if (store_campaign_changes(r->thread->reader, r->id, after_id, limit + 1, items) != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the changes could not be read", NULL);
        return;
    }
    /* times as RFC 3339 */
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) json_object_set_new(it, "at", timefmt_json(json_integer_value(json_object_get(it, "at"))));
    json_t *next = http_page_next(items, limit);
    http_reply_json(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}
