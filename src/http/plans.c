/* /api/v1/plans: the club's plans for six months and a year, and their goals on live figures (members, active
 * share, repeat-purchase rate, NPS, survey coverage, liability, budget used). A goal keeps the figure it was set
 * at (its baseline, read when it is created); a read shows each goal's live figure, where a straight line from the
 * baseline to the target at the due date says it should stand today, and whether it is on track or behind
 * (src/core/plan.c). docs/budget.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/plan_figures.h"
#include "core/plan.h"
#include "core/timefmt.h"
#include "http/http.h"

#define DAY_MS 86400000LL
#define PLAN_SIX_MONTHS_DAYS_MAX 186 /* a six-month plan spans at most this many days; a year's 366 */
#define PLAN_YEAR_DAYS_MAX 366
#define GOAL_FIGURE_MAX 1e15

/* ---- JSON ---- */
static json_t *text_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }

/* A goal with its live figure; the plan gives the window of budget_used. */
static json_t *goal_json(store_reader *rd, plan_figures_cache *cache, const store_plan *p, const store_plan_goal *g,
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

static json_t *plan_json(const store_plan *p, json_t *goals)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "id", (json_int_t)p->id, "title", p->title,
                     "horizon", p->horizon, "starts", timefmt_json(p->starts_at), "ends", timefmt_json(p->ends_at),
                     "created_by", p->created_by, "created_at", timefmt_json(p->created_at), "updated_at",
                     timefmt_json(p->updated_at), "goals", goals ? goals : json_array());
}

/* ---- checks ---- */
static void time_field(json_t *body, const char *name, bool required, int64_t *out, errlist *e)
{
    json_t *v = json_object_get(body, name);
    if (!v) {
        if (required)
            errlist_add(e, name, "is required");
    } else if (!json_is_string(v) || timefmt_parse(json_string_value(v), out) != 0) {
        errlist_add(e, name, "must be a time (RFC 3339) or a date (YYYY-MM-DD)");
    }
}

static const http_text_field title_field = {"title", offsetof(store_plan, title), STORE_NAME_MAX + 1, true, true};

/* Applies a create body or a merge patch to p; errors name the field. span: check ends against starts and the
 * horizon (a patch's scratch record on the loop has no starts to check against). */
static void plan_apply_json(store_plan *p, json_t *body, bool creating, bool span, errlist *e)
{
    static const char *const fields[] = {"title", "horizon", "starts", "ends", NULL};
    if (!json_is_object(body)) {
        errlist_add(e, "", "the body must be a JSON object");
        return;
    }
    errlist_only_fields(e, body, fields);
    json_t *v = json_object_get(body, "title");
    if (v)
        http_apply_text(&title_field, v, p->title, e);
    else if (creating)
        errlist_add(e, "title", "is required");
    v = json_object_get(body, "horizon");
    if (!v && creating)
        errlist_add(e, "horizon", "is required");
    else if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "six_months") != 0 &&
                                          strcmp(json_string_value(v), "year") != 0)))
        errlist_add(e, "horizon", "must be six_months or year");
    else if (v)
        snprintf(p->horizon, sizeof(p->horizon), "%s", json_string_value(v));
    time_field(body, "starts", creating, &p->starts_at, e);
    time_field(body, "ends", creating, &p->ends_at, e);
    if (e->count || !span)
        return;
    int64_t days_max = strcmp(p->horizon, "year") == 0 ? PLAN_YEAR_DAYS_MAX : PLAN_SIX_MONTHS_DAYS_MAX;
    if (p->ends_at <= p->starts_at)
        errlist_add(e, "ends", "must be after starts");
    else if (p->ends_at - p->starts_at > days_max * DAY_MS)
        errlist_add(e, "ends", "must be at most %lld days after starts for a %s plan", (long long)days_max,
                    strcmp(p->horizon, "year") == 0 ? "year's" : "six months'");
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
    time_field(body, "due", creating, &due, e);
    if (json_object_get(body, "due") && due <= now && e->count == 0)
        errlist_add(e, "due", "must be in the future");
    g->due_at = due;
    if ((v = json_object_get(body, "note")))
        http_apply_text(&goal_note, v, g->note, e);
}

/* ---- plan writes ---- */
typedef struct plan_change {
    json_t *body;
    int64_t id;
    store_plan_goal goal; /* a new goal, checked and with its baseline */
} plan_change;

static void change_free(void *p)
{
    plan_change *c = p;
    json_decref(c->body);
    free(c);
}

static bool answer_invalid(http_write *w, errlist *e)
{
    if (e->count == 0)
        return false;
    http_write_answer_problem(w, 400, "validation", "some fields are not valid", e);
    return true;
}

static int plan_create_write(store_tx *tx, http_write *w)
{
    plan_change *c = w->arg;
    store_plan p;
    memset(&p, 0, sizeof(p));
    errlist e;
    errlist_init(&e);
    plan_apply_json(&p, c->body, true, true, &e);
    if (answer_invalid(w, &e))
        return STORE_INVALID;
    snprintf(p.created_by, sizeof(p.created_by), "%s", w->who.name);
    p.created_at = p.updated_at = w->now_ms;
    int status = store_tx_plan_insert(tx, &p);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "plan.create", "plan", p.id, NULL, plan_json(&p, NULL));
    char location[64];
    snprintf(location, sizeof(location), "/api/v1/plans/%lld", (long long)p.id);
    if (status == STORE_OK)
        http_write_answer_json(w, 201, plan_json(&p, NULL), location);
    return status;
}

static int plan_get_or_404(store_tx *tx, http_write *w, int64_t id, store_plan *p)
{
    int status = store_tx_plan_get(tx, id, p);
    if (status == STORE_NOTFOUND)
        http_write_answer_problem(w, 404, "not-found", "there is no plan with this id", NULL);
    return status;
}

static int plan_update_write(store_tx *tx, http_write *w)
{
    plan_change *c = w->arg;
    store_plan p;
    int status = plan_get_or_404(tx, w, c->id, &p);
    if (status != STORE_OK)
        return status;
    json_t *before = plan_json(&p, NULL);
    errlist e;
    errlist_init(&e);
    plan_apply_json(&p, c->body, false, true, &e);
    if (answer_invalid(w, &e)) {
        json_decref(before);
        return STORE_INVALID;
    }
    p.updated_at = w->now_ms;
    status = store_tx_plan_update(tx, &p);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "plan.update", "plan", p.id, before, plan_json(&p, NULL));
    else
        json_decref(before);
    /* the goals with their figures are read by GET; the answer is the plan itself */
    if (status == STORE_OK)
        http_write_answer_json(w, 200, plan_json(&p, NULL), NULL);
    return status;
}

static int plan_delete_write(store_tx *tx, http_write *w)
{
    plan_change *c = w->arg;
    store_plan p;
    int status = plan_get_or_404(tx, w, c->id, &p);
    if (status == STORE_OK)
        status = store_tx_plan_delete(tx, c->id);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "plan.delete", "plan", p.id, plan_json(&p, NULL), NULL);
    if (status == STORE_OK)
        w->status = 204;
    return status;
}

static plan_change *change_new(http_request *r, json_t *body)
{
    plan_change *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->body = body;
    c->id = r->id;
    return c;
}

static void plan_submit(http_request *r, bool creating, http_write_fn fn)
{
    json_t *body = http_body_json(r);
    if (!body)
        return;
    store_plan scratch;
    memset(&scratch, 0, sizeof(scratch));
    errlist e;
    errlist_init(&e);
    plan_apply_json(&scratch, body, creating, creating, &e);
    if (e.count) {
        json_decref(body);
        http_reply_problem(r, 400, "validation", "some fields are not valid", &e);
        return;
    }
    http_write_submit(r, fn, change_new(r, body), change_free);
}

void http_plan_create(http_request *r) { plan_submit(r, true, plan_create_write); }
void http_plan_update(http_request *r) { plan_submit(r, false, plan_update_write); }
void http_plan_delete(http_request *r) { http_write_submit(r, plan_delete_write, change_new(r, NULL), change_free); }

/* ---- goal writes ---- */
static json_t *goal_audit(const store_plan_goal *g)
{
    return json_pack("{s:I, s:s, s:f, s:o, s:f}", "plan_id", (json_int_t)g->plan_id, "metric", g->metric, "target",
                     g->target, "due", timefmt_json(g->due_at), "baseline", g->baseline);
}

static int goal_create_write(store_tx *tx, http_write *w)
{
    plan_change *c = w->arg;
    store_plan p;
    int status = plan_get_or_404(tx, w, c->id, &p);
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
        http_write_answer_json(w, 201, goal_json(NULL, NULL, &p, g, w->now_ms), location);
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
    plan_change *c = change_new(r, body);
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
    int status = store_tx_plan_goal_get(tx, id, g);
    if (status == STORE_NOTFOUND)
        http_write_answer_problem(w, 404, "not-found", "there is no goal with this id", NULL);
    return status;
}

static int goal_update_write(store_tx *tx, http_write *w)
{
    plan_change *c = w->arg;
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
        http_write_answer_json(w, 200, goal_json(NULL, NULL, &p, &g, w->now_ms), NULL);
    return status;
}

static int goal_delete_write(store_tx *tx, http_write *w)
{
    plan_change *c = w->arg;
    store_plan_goal g;
    int status = goal_get_or_404(tx, w, c->id, &g);
    if (status == STORE_OK)
        status = store_tx_plan_goal_delete(tx, g.id);
    store_actor actor = http_actor(&w->who);
    if (status == STORE_OK)
        status = store_tx_audit(tx, &actor, w->now_ms, "plan_goal.delete", "plan_goal", g.id, goal_audit(&g), NULL);
    if (status == STORE_OK)
        w->status = 204;
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

/* ---- reads ---- */
#define PLAN_GOALS_SHOWN 64 /* goals of a plan shown with their figures */

typedef struct goals_read {
    store_plan_goal goals[PLAN_GOALS_SHOWN];
    int n;
} goals_read;

static void collect_goal(const store_plan_goal *g, void *arg)
{
    goals_read *gr = arg;
    if (gr->n < PLAN_GOALS_SHOWN)
        gr->goals[gr->n++] = *g;
}

/* The plan with its goals and their live figures, or NULL when they could not be read. The goals are read first,
 * the figures after, so no statement is left stepping while another reads. */
static json_t *plan_read(http_request *r, plan_figures_cache *cache, const store_plan *p)
{
    goals_read *gr = h2o_mem_alloc_pool(&r->req->pool, sizeof(*gr));
    gr->n = 0;
    if (store_plan_goals(r->thread->reader, p->id, PLAN_GOALS_SHOWN, collect_goal, gr) != STORE_OK)
        return NULL;
    json_t *items = json_array();
    for (int i = 0; i < gr->n; i++)
        json_array_append_new(items, goal_json(r->thread->reader, cache, p, &gr->goals[i], r->now_ms));
    return plan_json(p, items);
}

void http_plan_get(http_request *r)
{
    store_plan p;
    store_reader_version(r->thread->reader);
    int status = store_plan_get(r->thread->reader, r->id, &p);
    plan_figures_cache cache = {.have_figures = false};
    json_t *o = status == STORE_OK ? plan_read(r, &cache, &p) : NULL;
    if (o)
        http_reply_json(r, 200, o);
    else
        http_reply_problem(r, status == STORE_NOTFOUND ? 404 : 500, status == STORE_NOTFOUND ? "not-found" : "internal",
                           status == STORE_NOTFOUND ? "there is no plan with this id" : "the plan could not be read",
                           NULL);
}

typedef struct plans_read {
    store_plan plans[64];
    int n;
} plans_read;

static void collect_plan(const store_plan *p, void *arg)
{
    plans_read *pr = arg;
    if (pr->n < (int)(sizeof(pr->plans) / sizeof(pr->plans[0])))
        pr->plans[pr->n++] = *p;
}

/* GET /api/v1/plans: the plans (at most 64, by start) with their goals. */
void http_plan_list(http_request *r)
{
    static const char *const allowed[] = {NULL};
    if (!http_query_only(r, allowed))
        return;
    store_reader_version(r->thread->reader);
    plans_read *pr = h2o_mem_alloc_pool(&r->req->pool, sizeof(*pr));
    pr->n = 0;
    json_t *items = json_array();
    plan_figures_cache cache = {.have_figures = false}; /* the club's figures, read once for every plan's goals */
    int status = store_plans(r->thread->reader, collect_plan, pr);
    for (int i = 0; status == STORE_OK && i < pr->n; i++) {
        json_t *o = plan_read(r, &cache, &pr->plans[i]);
        if (!o)
            status = STORE_ERROR;
        else
            json_array_append_new(items, o);
    }
    if (status != STORE_OK) {
        json_decref(items);
        http_reply_problem(r, 500, "internal", "the plans could not be read", NULL);
        return;
    }
    http_reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}
