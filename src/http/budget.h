/* Shared by the budget handlers (budget.c, budget_costs.c, budget_report.c) and the plans (plans.c,
 * plan_goals.c): the cost categories, the club's periods, a goal's JSON and the times of plans and goals. */
#ifndef BASHGAH_HTTP_BUDGET_H
#define BASHGAH_HTTP_BUDGET_H

#include <jansson.h>
#include <stdbool.h>

#include "app/plan_figures.h"
#include "core/errlist.h"
#include "store/store.h"

/* One of gifts, messages, staff, events, software, points, other. */
bool http_budget_category_ok(const char *s);
/* The [from, to) of a period label ("1404", "1404-01") in the programme's calendar and zone; 0, or -1 with *why. */
int http_budget_period(const store_programme *p, const char *label, int64_t *from, int64_t *to, const char **why);
json_t *http_budget_line_json(const store_budget_line *l);

/* A goal with its live figure, expected figure and track read on rd (NULL: the goal as stored, value and track null);
 * cache keeps the club's figures between the goals of one request (may be NULL). */
json_t *http_plan_goal_json(store_reader *rd, plan_figures_cache *cache, const store_plan *p, const store_plan_goal *g,
                            int64_t now);
/* Reads body's name as a time (RFC 3339 or YYYY-MM-DD) into *out; errors name the field. */
void http_plan_time_field(json_t *body, const char *name, bool required, int64_t *out, errlist *e);

#endif
