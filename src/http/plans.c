/* /api/v1/plans: the club's plans for six months and a year, and their goals on live figures (members, active
 * share, repeat-purchase rate, NPS, survey coverage, liability, budget used). A goal keeps the figure it was set
 * at (its baseline, read when it is created); a read shows each goal's live figure, where a straight line from the
 * baseline to the target at the due date says it should stand today, and whether it is on track or behind
 * (src/core/plan.c). docs/budget.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/plan_figures.h"
#include "core/timefmt.h"
#include "http/budget.h"
#include "http/http.h"

#define DAY_MS 86400000LL
#define PLAN_SIX_MONTHS_DAYS_MAX 186 /* a six-month plan spans at most this many days; a year's 366 */
#define PLAN_YEAR_DAYS_MAX 366

/* ---- JSON ---- */
static json_t *plan_json(const store_plan *p, json_t *goals)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "id", (json_int_t)p->id, "title", p->title,
                     "horizon", p->horizon, "starts", timefmt_json(p->starts_at), "ends", timefmt_json(p->ends_at),
                     "created_by", p->created_by, "created_at", timefmt_json(p->created_at), "updated_at",
                     timefmt_json(p->updated_at), "goals", goals ? goals : json_array());
}

/* ---- checks ---- */
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
    http_plan_time_field(body, "starts", creating, &p->starts_at, e);
    http_plan_time_field(body, "ends", creating, &p->ends_at, e);
    if (e->count || !span)
        return;
    int64_t days_max = strcmp(p->horizon, "year") == 0 ? PLAN_YEAR_DAYS_MAX : PLAN_SIX_MONTHS_DAYS_MAX;
    if (p->ends_at <= p->starts_at)
        errlist_add(e, "ends", "must be after starts");
    else if (p->ends_at - p->starts_at > days_max * DAY_MS)
        errlist_add(e, "ends", "must be at most %lld days after starts for a %s plan", (long long)days_max,
                    strcmp(p->horizon, "year") == 0 ? "year's" : "six months'");
}

/* ---- plan writes ---- */
typedef struct plan_change {
    json_t *body;
    int64_t id;
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
    if (status == STORE_OK)
        status = http_write_created(tx, w, "plan.create", "plan", p.id, "/api/v1/plans", plan_json(&p, NULL));
    return status;
}

static int plan_get_or_404(store_tx *tx, http_write *w, int64_t id, store_plan *p)
{
    return http_write_found(w, store_tx_plan_get(tx, id, p), "plan");
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
    /* the goals with their figures are read by GET; the answer is the plan itself */
    if (status == STORE_OK)
        status = http_write_updated(tx, w, "plan.update", "plan", p.id, before, plan_json(&p, NULL));
    else
        json_decref(before);
    return status;
}

static int plan_delete_write(store_tx *tx, http_write *w)
{
    plan_change *c = w->arg;
    store_plan p;
    int status = plan_get_or_404(tx, w, c->id, &p);
    if (status == STORE_OK)
        status = store_tx_plan_delete(tx, c->id);
    if (status == STORE_OK)
        status = http_write_deleted(tx, w, "plan.delete", "plan", p.id, plan_json(&p, NULL));
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
        json_array_append_new(items, http_plan_goal_json(r->thread->reader, cache, p, &gr->goals[i], r->now_ms));
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
