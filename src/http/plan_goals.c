/* /api/v1/plans/{id}/goals and /api/v1/plans/goals/{id}: a plan's goals on live figures. A new goal's baseline is
 * the figure when it is set, read on the loop thread before the goal queues (the writer never reads figures);
 * its target, due date and note may change later, its metric and baseline not. The JSON of a goal with its live
 * figure and track is here too, for the plan reads (plans.c). docs/budget.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/plan_figures.h"
#include "core/plan.h"
#include "core/timefmt.h"
#include "http/budget.h"
#include "http/http.h"

#define GOAL_FIGURE_MAX 1e15

static json_t *text_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }

/* A goal with its live figure; the plan gives the window of budget_used. */
json_t *http_plan_goal_json(store_reader *rd, plan_figures_cache *cache, const store_plan *p, const store_plan_goal *g,
                            int64_t now)
{
    double value = 0;
    bool known = false;
    int status = rd ? plan_figure(rd, cache, g->metric, g->survey_id, p->starts_at, p->ends_at, now, &value, &known)
                    : STORE_ERROR;
    known = known && status == STORE_OK;
    double expected = plan_expected(g->baseline, g->baseline_at, g->target, g->due_at, now);
    json_t *track = known ? json_string(plan_track_name(plan_goal_track(g->baseline, g->baseline_at, g->target,
                                                                        g->due_at, now, value)))
                          : json_null();
    return json_pack("{s:I, s:I, s:s, s:o, s:f, s:o, s:f, s:o, s:o, s:f, s:o, s:o, s:s, s:o, s:o}", "id",
                     (json_int_t)g->id, "plan_id", (json_int_t)g->plan_id, "metric", g->metric, "survey_id",
                     g->survey_id ? json_integer(g->survey_id) : json_null(), "target", g->target, "due",
                     timefmt_json(g->due_at), "baseline", g->baseline, "baseline_at", timefmt_json(g->baseline_at),
                     "value", known ? json_real(value) : json_null(), "expected", expected, "track", track, "note",
                     text_or_null(g->note), "created_by", g->created_by, "created_at", timefmt_json(g->created_at),
                     "updated_at", timefmt_json(g->updated_at));
}

void http_plan_time_field(json_t *body, const char *name, bool required, int64_t *out, errlist *e)
{
    json_t *v = json_object_get(body, name);
    if (!v) {
        if (required)
            errlist_add(e, name, "is required");
    } else if (!json_is_string(v) || timefmt_parse(json_string_value(v), out) != 0) {
        errlist_add(e, name, "must be a time (RFC 3339) or a date (YYYY-MM-DD)");
    }
}

/* The range a goal's target may take, by metric. */
static void target_range(const char *metric, double *lo, double *hi)
{
    *lo = 0;
    *hi = GOAL_FIGURE_MAX;
    if (strcmp(metric, "nps") == 0)
        *lo = -100, *hi = 100;
    else if (strcmp(metric, "active_share") == 0 || strcmp(metric, "repeat_purchase_rate") == 0 ||
             strcmp(metric, "survey_coverage") == 0)
        *hi = 100;
}

static const http_text_field goal_note = {"note", offsetof(store_plan_goal, note), STORE_BUDGET_NOTE_MAX + 1, false,
                                          false};

/* Applies a goal's body (creating: metric and survey too); errors name the field. */
static void goal_apply_json(store_plan_goal *g, json_t *body, bool creating, int64_t now, errlist *e)
{
    static const char *const create_fields[] = {"metric", "survey_id", "target", "due", "note", NULL};
    static const char *const patch_fields[] = {"target", "due", "note", NULL};
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return;
    }
    errlist_only_fields(e, body, creating ? create_fields : patch_fields);
    json_t *v;
    if (creating) {
        v = json_object_get(body, "metric");
        if (!v)
            errlist_add(e, "metric", "is required");
        else if (!json_is_string(v) || !plan_metric_ok(json_string_value(v)))
            errlist_add(e, "metric", "must be members, active_share, repeat_purchase_rate, nps, survey_coverage, "
                                     "liability or budget_used");
        else
            snprintf(g->metric, sizeof(g->metric), "%s", json_string_value(v));
        v = json_object_get(body, "survey_id");
        if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 1))
            errlist_add(e, "survey_id", "must be a survey's id");
        else if (v && json_is_integer(v))
            g->survey_id = json_integer_value(v);
        if (g->metric[0] && plan_metric_needs_survey(g->metric) && !g->survey_id && !(v && !json_is_null(v)))
            errlist_add(e, "survey_id", "is required for %s: the survey that measures it", g->metric);
        else if (g->metric[0] && !plan_metric_needs_survey(g->metric) && g->survey_id)
            errlist_add(e, "survey_id", "is only for nps and survey_coverage");
    }
    v = json_object_get(body, "target");
    double lo, hi;
    target_range(g->metric[0] ? g->metric : "members", &lo, &hi);
    if (!v && creating)
        errlist_add(e, "target", "is required");
    else if (v && (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < lo ||
                   json_number_value(v) > hi))
        errlist_add(e, "target", "must be a number from %g to %g for %s", lo, hi, g->metric[0] ? g->metric : "it");
    else if (v)
        g->target = json_number_value(v);
    int64_t due = g->due_at;
    http_plan_time_field(body, "due", creating, &due, e);
    if (json_object_get(body, "due") && due <= now && e->count == 0)
        errlist_add(e, "due", "must be in the future");
    g->due_at = due;
    if ((v = json_object_get(body, "note")))
        http_apply_text(&goal_note, v, g->note, e);
}

typedef struct goal_change {
    json_t *body;
    int64_t id;
    store_plan_goal goal; /* a new goal, checked and with its baseline */
} goal_change;

static void change_free(void *p)
{
    goal_change *c = p;
    json_decref(c->body);
    free(c);
}

static goal_change *change_new(http_request *r, json_t *body)
{
    goal_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->body = body;
    c->id = r->id;
    return c;
}

static bool answer_invalid(http_write *w, errlist *e)
{
    if (e->count == 0)
        return false;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", e);
    return true;
}

static json_t *goal_audit(const store_plan_goal *g)
{
    return json_pack("{s:I, s:s, s:f, s:o, s:f}", "plan_id", (json_int_t)g->plan_id, "metric", g->metric, "target",
                     g->target, "due", timefmt_json(g->due_at), "baseline", g->baseline);
}

static int goal_create_write(store_tx *tx, http_write *w)
{
    goal_change *c = w->arg;
    store_plan p;
    int status = http_write_found(w, store_tx_plan_get(tx, c->id, &p), "plan");
    if (status != STORE_OK)
        return status;
    store_plan_goal *g = &c->goal;
    snprintf(g->created_by, sizeof(g->created_by), "%s", w->who.name);
    g->plan_id = p.id;
    g->created_at = g->updated_at = w->now_ms;
    status = store_tx_plan_goal_insert(tx, g);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "plan_goal.create", "plan_goal", g->id, NULL, goal_audit(g));
    char location[80];
    snprintf(location, sizeof(location), "/api/v1/plans/%lld", (long long)p.id);
    if (status == STORE_OK)
        http_write_answer_json(w, 201, http_plan_goal_json(NULL, NULL, &p, g, w->now_ms), location);
    return status;
}

/* POST /api/v1/plans/{id}/goals: the baseline is the figure now, read here before the goal queues. */
void http_plan_goal_create(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_reader *rd = r->thread->reader;
    store_reader_version(rd); /* see every commit acknowledged before this request */
    store_plan p;
    int status = store_plan_get(rd, r->id, &p);
    if (status != STORE_OK) {
        json_decref(body);
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no plan with this id" : "the plan could not be read",
                           NULL);
        return;
    }
    goal_change *c = change_new(r, body);
    errlist e;
    errlist_init(&e);
    goal_apply_json(&c->goal, body, true, r->now_ms, &e);
    bool known = false;
    if (e.count == 0) {
        status = plan_figure(rd, NULL, c->goal.metric, c->goal.survey_id, p.starts_at, p.ends_at, r->now_ms,
                             &c->goal.baseline, &known);
        if (status == STORE_NOTFOUND)
            errlist_add(&e, "survey_id", "is not a survey's id");
        else if (status != STORE_OK) {
            change_free(c);
            http_reply_problem(r, 500, "internal", "the figure could not be read", NULL);
            return;
        }
    }
    if (e.count) {
        change_free(c);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    c->goal.baseline_at = r->now_ms;
    http_write_submit(r, goal_create_write, c, change_free);
}

static int goal_get_or_404(store_tx *tx, http_write *w, int64_t id, store_plan_goal *g)
{
    return http_write_found(w, store_tx_plan_goal_get(tx, id, g), "goal");
}

static int goal_update_write(store_tx *tx, http_write *w)
{
    goal_change *c = w->arg;
    store_plan_goal g;
    store_plan p;
    int status = goal_get_or_404(tx, w, c->id, &g);
    if (status == STORE_OK)
        status = store_tx_plan_get(tx, g.plan_id, &p);
    if (status != STORE_OK)
        return status;
    json_t *before = goal_audit(&g);
    errlist e;
    errlist_init(&e);
    goal_apply_json(&g, c->body, false, w->now_ms, &e);
    if (answer_invalid(w, &e)) {
        json_decref(before);
        return STORE_INVALID;
    }
    g.updated_at = w->now_ms;
    status = store_tx_plan_goal_update(tx, &g);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "plan_goal.update", "plan_goal", g.id, before, goal_audit(&g));
    else
        json_decref(before);
    if (status == STORE_OK)
        http_write_answer_json(w, 200, http_plan_goal_json(NULL, NULL, &p, &g, w->now_ms), NULL);
    return status;
}

static int goal_delete_write(store_tx *tx, http_write *w)
{
    goal_change *c = w->arg;
    store_plan_goal g;
    int status = goal_get_or_404(tx, w, c->id, &g);
    if (status == STORE_OK)
        status = store_tx_plan_goal_delete(tx, g.id);
    if (status == STORE_OK)
        status = http_write_deleted(tx, w, "plan_goal.delete", "plan_goal", g.id, goal_audit(&g));
    return status;
}

void http_plan_goal_update(http_request *r)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_plan_goal scratch;
    memset(&scratch, 0, sizeof(scratch));
    errlist e;
    errlist_init(&e);
    goal_apply_json(&scratch, body, false, r->now_ms, &e);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    http_write_submit(r, goal_update_write, change_new(r, body), change_free);
}

void http_plan_goal_delete(http_request *r)
{
    http_write_submit(r, goal_delete_write, change_new(r, NULL), change_free);
}
