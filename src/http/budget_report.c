/* GET /api/v1/budget/report?period=1404: the club's money in one period of its calendar. For each category the
 * planned money (the lines lying within the period) against the actual (its costs in the period); the points
 * liability (what members hold, available and pending, at the programme's point value); and for each campaign its
 * cost, the measured effect of its latest decision's evaluation (pilot or holdout, as stored by the manager's
 * decision) and its return on cost: incremental revenue over cost. docs/budget.md. */
#include <stdio.h>
#include <string.h>

#include "core/timefmt.h"
#include "http/budget.h"
#include "http/http.h"

#define REPORT_CAMPAIGNS_MAX 500

static const char *const categories[] = {"gifts", "messages", "staff", "events", "software", "points", "other"};

typedef struct report {
    json_t *rows;
} report;

/* The measured effect and the return on cost of one campaign, from its stored evaluation (or nulls). */
static void on_campaign(const store_campaign_cost *c, void *arg)
{
    report *rep = arg;
    json_t *evaluation = c->evaluation ? json_loads(c->evaluation, 0, NULL) : NULL;
    json_t *incremental = json_object_get(evaluation, "incremental_revenue_minor");
    json_t *roc = json_null(), *inc = json_null();
    if (json_is_number(incremental)) {
        double v = json_number_value(incremental);
        inc = json_integer((json_int_t)v);
        if (c->cost_minor > 0)
            roc = json_real(v / (double)c->cost_minor);
    }
    json_array_append_new(rep->rows,
                          json_pack("{s:I, s:s, s:s, s:I, s:I, s:o, s:o, s:o}", "id", (json_int_t)c->id, "name",
                                    c->name ? c->name : "", "state", c->state ? c->state : "", "cost_minor",
                                    (json_int_t)c->cost_minor, "cost_in_period_minor",
                                    (json_int_t)c->cost_period_minor, "effect",
                                    evaluation ? evaluation : json_null(), "incremental_revenue_minor", inc,
                                    "return_on_cost", roc));
}

/* The categories' rows and the totals; false when a sum could not be read. */
static bool category_rows(store_reader *rd, int64_t from, int64_t to, json_t *rows, int64_t *planned_all,
                          int64_t *actual_all)
{
    *planned_all = *actual_all = 0;
    for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
        int64_t planned, actual;
        if (store_budget_planned(rd, categories[i], from, to, &planned) != STORE_OK ||
            store_budget_spent(rd, categories[i], from, to, &actual) != STORE_OK)
            return false;
        *planned_all += planned;
        *actual_all += actual;
        json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:I, s:o}", "category", categories[i], "planned_minor",
                                              (json_int_t)planned, "actual_minor", (json_int_t)actual,
                                              "remaining_minor", (json_int_t)(planned - actual), "used_pct",
                                              planned > 0 ? json_real(100.0 * (double)actual / (double)planned)
                                                          : json_null()));
    }
    return true;
}

void http_budget_report(http_request *r)
{
    static const char *const allowed[] = {"period", NULL};
    if (!http_query_only(r, allowed))
        return;
    errlist e;
    errlist_init(&e);
    char period[32];
    store_reader *rd = r->thread->reader;
    store_reader_version(rd); /* see every commit acknowledged before this request */
    store_programme p;
    if (store_programme_read(rd, &p) != STORE_OK) {
        http_reply_problem(r, 500, "internal", "the programme could not be read", NULL);
        return;
    }
    int64_t from = 0, to = 0;
    const char *why = NULL;
    if (!http_query(r, "period", period, sizeof(period), &e))
        errlist_add(&e, "period", "is required: a year (YYYY) or a month (YYYY-MM) of the club's calendar");
    else if (http_budget_period(&p, period, &from, &to, &why) != 0)
        errlist_add(&e, "period", "%s", why);
    if (e.count) {
        http_reply_problem(r, 400, "validation", "some query parameters are not valid", &e);
        return;
    }
    json_t *rows = json_array();
    int64_t planned, actual, points;
    report rep = {.rows = json_array()};
    if (!category_rows(rd, from, to, rows, &planned, &actual) ||
        store_budget_points_outstanding(rd, &points) != STORE_OK ||
        store_budget_campaigns(rd, from, to, REPORT_CAMPAIGNS_MAX, on_campaign, &rep) != STORE_OK) {
        json_decref(rows);
        json_decref(rep.rows);
        http_reply_problem(r, 500, "internal", "the report could not be read", NULL);
        return;
    }
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:{s:I, s:I, s:I, s:o}, s:{s:I, s:I, s:I}, s:o}", "period", period,
        "calendar", p.calendar, "time_zone", p.time_zone, "from", timefmt_json(from), "to", timefmt_json(to),
        "currency", p.currency, "categories", rows, "total", "planned_minor", (json_int_t)planned, "actual_minor",
        (json_int_t)actual, "remaining_minor", (json_int_t)(planned - actual), "used_pct",
        planned > 0 ? json_real(100.0 * (double)actual / (double)planned) : json_null(), "liability", "points",
        (json_int_t)points, "point_value_minor", (json_int_t)p.point_value_minor, "money_minor",
        (json_int_t)(points * p.point_value_minor), "campaigns", rep.rows);
    http_reply_json(r, 200, doc);
}
