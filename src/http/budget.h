/* Shared by the budget handlers (budget.c, budget_costs.c, budget_report.c) and the plans (plans.c): the cost
 * categories and the club's periods. */
#ifndef BASHGAH_HTTP_BUDGET_H
#define BASHGAH_HTTP_BUDGET_H

#include <jansson.h>
#include <stdbool.h>

#include "store/store.h"

/* One of gifts, messages, staff, events, software, points, other. */
bool http_budget_category_ok(const char *s);
/* The [from, to) of a period label ("1404", "1404-01") in the programme's calendar and zone; 0, or -1 with *why. */
int http_budget_period(const store_programme *p, const char *label, int64_t *from, int64_t *to, const char **why);
json_t *http_budget_line_json(const store_budget_line *l);

#endif
