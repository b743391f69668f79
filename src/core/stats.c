/* Survey statistics (see stats.h and docs/surveys.md). Doubles are fine here: these are estimates shown to
 * people, never balances. */
#include "core/stats.h"

#include <math.h>

double stats_margin_of_error(double p, int64_t n, int64_t population)
{
    if (n < 1 || population < n || p < 0 || p > 1)
        return -1;
    if (n == population)
        return 0; /* a census has no sampling error (and N - 1 could be 0) */
    double se = sqrt(p * (1 - p) / (double)n);
    double fpc = sqrt((double)(population - n) / (double)(population - 1));
    return STATS_Z95 * se * fpc;
}

int stats_sample_size(double e, double p, double response_rate, int64_t population, stats_plan *out)
{
    if (!(e > 0 && e < 1) || !(p > 0 && p < 1) || !(response_rate > 0 && response_rate <= 1) || population < 1)
        return -1;
    double n0 = STATS_Z95 * STATS_Z95 * p * (1 - p) / (e * e);
    double n = n0 / (1 + (n0 - 1) / (double)population);
    out->answers_needed = (int64_t)ceil(n - 1e-9);
    double invite = ceil(n / response_rate - 1e-9);
    out->capped = invite > (double)population;
    out->invite = out->capped ? population : (int64_t)invite;
    return 0;
}

void stats_nps_compute(const int64_t counts[11], stats_nps *out)
{
    *out = (stats_nps){0};
    for (int s = 0; s <= 10; s++) {
        if (s >= 9)
            out->promoters += counts[s];
        else if (s >= 7)
            out->passives += counts[s];
        else
            out->detractors += counts[s];
    }
    out->n = out->promoters + out->passives + out->detractors;
    if (out->n == 0)
        return;
    double pr = (double)out->promoters / (double)out->n, de = (double)out->detractors / (double)out->n;
    double mean = pr - de;
    double var = pr + de - mean * mean;
    out->se = sqrt(var > 0 ? var / (double)out->n : 0);
    out->score = 100 * mean;
    out->low = fmax(-100, out->score - 100 * STATS_Z95 * out->se);
    out->high = fmin(100, out->score + 100 * STATS_Z95 * out->se);
}

double stats_csat(const int64_t counts[5])
{
    int64_t all = 0;
    for (int i = 0; i < 5; i++)
        all += counts[i];
    if (all == 0)
        return -1;
    return 100.0 * (double)(counts[3] + counts[4]) / (double)all;
}

double stats_coverage_pct(int64_t answered, int64_t population)
{
    return population > 0 ? 100.0 * (double)answered / (double)population : 0;
}
