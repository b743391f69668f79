/* Live figures of the club's plan (plan_figures.h). Each is one or a few aggregate reads; nothing is cached, so a
 * plan's page always shows the club as it is. */
#include "app/plan_figures.h"

#include <string.h>

#include "core/stats.h"

static const char *const metrics[] = {"members",   "active_share", "repeat_purchase_rate", "nps", "survey_coverage",
                                      "liability", "budget_used",  NULL};

bool plan_metric_ok(const char *metric)
{
    for (const char *const *m = metrics; *m; m++)
        if (metric && strcmp(metric, *m) == 0)
            return true;
    return false;
}

bool plan_metric_needs_survey(const char *metric)
{
    return metric && (strcmp(metric, "nps") == 0 || strcmp(metric, "survey_coverage") == 0);
}

typedef struct coverage_sum {
    int64_t population, answered;
} coverage_sum;

static void on_coverage(const char *stratum, int64_t population, int64_t invited, int64_t answered, void *arg)
{
    (void)stratum;
    (void)invited;
    coverage_sum *c = arg;
    c->population += population;
    c->answered += answered;
}

typedef struct nps_tally {
    const json_t *questions;
    int64_t counts[11];
} nps_tally;

/* Counts the 0-10 answers to every NPS question of the survey. */
static void on_response(const char *stratum, int64_t answered_at, json_t *answers, void *arg)
{
    (void)stratum;
    (void)answered_at;
    nps_tally *t = arg;
    size_t i;
    json_t *q;
    json_array_foreach(t->questions, i, q) {
        const char *type = json_string_value(json_object_get(q, "type"));
        json_t *a = json_object_get(answers, json_string_value(json_object_get(q, "key")));
        if (type && strcmp(type, "nps") == 0 && json_is_integer(a) && json_integer_value(a) >= 0 &&
            json_integer_value(a) <= 10)
            t->counts[json_integer_value(a)]++;
    }
}

static int survey_figure(store_reader *r, const char *metric, int64_t survey_id, double *value, bool *known)
{
    store_survey s;
    int status = store_survey_get(r, survey_id, &s);
    if (status != STORE_OK)
        return status;
    if (strcmp(metric, "survey_coverage") == 0) {
        coverage_sum c = {0, 0};
        status = store_survey_coverage(r, survey_id, on_coverage, &c);
        *known = c.population > 0;
        *value = stats_coverage_pct(c.answered, c.population);
    } else {
        nps_tally t = {.questions = s.questions};
        status = store_survey_responses(r, survey_id, on_response, &t);
        stats_nps n;
        stats_nps_compute(t.counts, &n);
        *known = n.n > 0;
        *value = n.score;
    }
    store_survey_release(&s);
    return status;
}

static double share(int64_t part, int64_t whole) { return whole > 0 ? 100.0 * (double)part / (double)whole : 0; }

int plan_figure(store_reader *r, plan_figures_cache *cache, const char *metric, int64_t survey_id, int64_t from,
                int64_t to, int64_t now, double *value, bool *known)
{
    *value = 0;
    *known = true;
    if (plan_metric_needs_survey(metric))
        return survey_figure(r, metric, survey_id, value, known);
    if (strcmp(metric, "liability") == 0 || strcmp(metric, "budget_used") == 0) {
        int64_t a = 0, b = 0;
        int status;
        if (strcmp(metric, "liability") == 0) {
            store_programme p;
            status = store_programme_read(r, &p);
            if (status == STORE_OK)
                status = store_budget_points_outstanding(r, &a);
            *value = status == STORE_OK ? (double)a * (double)p.point_value_minor : 0;
            return status;
        }
        status = store_budget_spent(r, NULL, from, to, &a);
        if (status == STORE_OK)
            status = store_budget_planned(r, NULL, from, to, &b);
        *known = status == STORE_OK && b > 0;
        *value = *known ? share(a, b) : 0;
        return status;
    }
    plan_figures_cache local = {.have_figures = false};
    if (!cache)
        cache = &local;
    if (!cache->have_figures) {
        int status = store_report_figures(r, now, NULL, &cache->f);
        if (status != STORE_OK)
            return status;
        cache->have_figures = true;
    }
    const store_figures f = cache->f;
    if (strcmp(metric, "members") == 0) {
        *value = (double)f.members;
    } else if (strcmp(metric, "active_share") == 0) {
        *known = f.members > 0;
        *value = share(f.active_90, f.members);
    } else {
        *known = f.buyers > 0;
        *value = share(f.repeat_buyers, f.buyers);
    }
    return STORE_OK;
}
