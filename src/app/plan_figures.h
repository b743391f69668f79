/* The live figures a plan's goals are set on (docs/budget.md): read on a thread's read connection from the key
 * figures of the reports (store_report_figures), the ledger's member balances, the costs and budget lines, and a
 * survey's coverage and NPS. Called by the plans handlers, for each goal's value and for its baseline. */
#ifndef BASHGAH_APP_PLAN_FIGURES_H
#define BASHGAH_APP_PLAN_FIGURES_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* members | active_share | repeat_purchase_rate | nps | survey_coverage | liability | budget_used */
bool plan_metric_ok(const char *metric);
/* Whether the metric is read from a survey (nps, survey_coverage). */
bool plan_metric_needs_survey(const char *metric);

/* The figure of metric now: members a count; active_share (a purchase in the last 90 days, of members),
 * repeat_purchase_rate (2+ purchases, of buyers), survey_coverage and budget_used (costs in [from, to) of the
 * lines planned within it) in percent; nps -100..100 over the survey's NPS answers; liability in minor units.
 * *known is false when there is nothing to measure yet (no buyers, no answers, nothing planned). STORE_OK, or the
 * store's error (STORE_NOTFOUND: the survey is not there). */
typedef struct plan_figures_cache {
    bool have_figures; /* f holds store_report_figures at now */
    store_figures f;
} plan_figures_cache;

/* cache (may be NULL) keeps the club-wide figures between calls for the same now, so a plan's goals on members,
 * active share and repeat rate read the members once. */
int plan_figure(store_reader *r, plan_figures_cache *cache, const char *metric, int64_t survey_id, int64_t from,
                int64_t to, int64_t now, double *value, bool *known);

#endif
