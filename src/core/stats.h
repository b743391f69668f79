/* Survey statistics: margin of error with the finite population correction, how many to invite for a wanted
 * margin, NPS with its 95% confidence interval, CSAT (top-two-box) and coverage against a target. Pure: values
 * in, values out; the formulas and worked examples are in docs/surveys.md. Called by the survey results and
 * the invitation planner (src/app/surveys.c, src/http/surveys.c). Shares are fractions in [0, 1]; scores
 * (NPS, CSAT, coverage) are percentages. */
#ifndef BASHGAH_STATS_H
#define BASHGAH_STATS_H

#include <stdint.h>

#define STATS_Z95 1.959963984540054 /* the two-sided 95% normal quantile */
#define STATS_COVERAGE_TARGET_DEFAULT 0.10 /* the club's default coverage target: 10% of each group */

/* The margin of error at 95% of a proportion p estimated from n answers out of a population of N, with the
 * finite population correction sqrt((N - n) / (N - 1)). p = 0.5 gives the widest margin, the usual headline.
 * 0 when n == N (a census); -1 when n < 1 or N < n (no estimate). */
double stats_margin_of_error(double p, int64_t n, int64_t population);

/* The plan for a wanted margin of error (e in (0, 1)) at 95% and an expected response rate in (0, 1]:
 * answers_needed = n0 / (1 + (n0 - 1) / N) with n0 = z^2 p(1 - p) / e^2, rounded up; invite = answers /
 * rate, rounded up, at most N (capped says so). 0, or -1 for an argument out of range. */
typedef struct stats_plan {
    int64_t answers_needed;
    int64_t invite;
    int capped; /* 1 when even inviting everyone is not expected to reach the margin */
} stats_plan;
int stats_sample_size(double e, double p, double response_rate, int64_t population, stats_plan *out);

/* NPS from 0-10 answers: counts[s] answers of score s (11 counts). score = 100 (P - D), P the share of 9-10,
 * D of 0-6; each answer scores +1, 0 or -1, so the variance is P + D - (P - D)^2, the standard error its
 * square root over n, and the 95% interval score +- 100 z se, clipped to [-100, 100]. n == 0: all zero. */
typedef struct stats_nps {
    int64_t n, promoters, passives, detractors;
    double score, low, high, se;
} stats_nps;
void stats_nps_compute(const int64_t counts[11], stats_nps *out);

/* CSAT, top-two-box: the percentage of 1-5 ratings that are 4 or 5 (counts[r - 1] answers of rating r).
 * -1 when there is no answer. */
double stats_csat(const int64_t counts[5]);

/* Coverage: answered as a percentage of the population (0 for an empty population). */
double stats_coverage_pct(int64_t answered, int64_t population);

#endif
