/* Statistics of a campaign's pilot against its control group: the minimum detectable effect before launch, the
 * two-proportion z-test for rates, Welch's t-test for means, and the sample-ratio-mismatch check. Pure: values
 * in, values out; the formulas and worked examples are in docs/campaigns.md. Called by the pilot and evaluation
 * use cases (src/app/pilots.c). "Treated" is the arm given the offer, "control" the arm given nothing;
 * differences are treated minus control. */
#ifndef BASHGAH_STATS_AB_H
#define BASHGAH_STATS_AB_H

#include <stdbool.h>
#include <stdint.h>

#define STATS_AB_ALPHA 0.05     /* two-sided significance */
#define STATS_AB_POWER 0.80
#define STATS_AB_SRM_ALPHA 0.001 /* a split this unlikely is called broken */

/* The smallest true difference the test finds with 80% power at 5% two-sided significance:
 * (z_0.975 + z_0.80) * sd * sqrt(1 / n_t + 1 / n_c). For a proportion sd = sqrt(p0 (1 - p0)) from the baseline
 * rate p0 in [0, 1]; for a mean, the baseline standard deviation. -1 when an arm is empty or an argument is out
 * of range. */
double stats_mde_proportion(double p0, int64_t n_t, int64_t n_c);
double stats_mde_mean(double sd, int64_t n_t, int64_t n_c);

/* The result of a comparison: the estimates, difference, its 95% interval and the two-sided p-value. */
typedef struct stats_ab {
    double value_t, value_c; /* the rates or the means */
    double difference, low, high, p_value;
    double statistic; /* z or t */
    double df;        /* Welch's degrees of freedom; 0 for z */
    bool ok;          /* false: too little data (an empty arm, or no variance at all) */
} stats_ab;

/* Two-proportion z-test: x successes of n in each arm. The test uses the pooled rate under the null
 * (se0 = sqrt(p (1 - p) (1/n_t + 1/n_c))); the interval the unpooled standard error. */
void stats_two_proportion(int64_t x_t, int64_t n_t, int64_t x_c, int64_t n_c, stats_ab *out);

/* Summary of one arm for a mean: n, the sum and the sum of squares of the members' values. */
typedef struct stats_moments {
    int64_t n;
    double sum, sum_sq;
} stats_moments;
/* The sample variance (n - 1 denominator); 0 when n < 2. */
double stats_moments_variance(const stats_moments *m);

/* Welch's t-test: t = (m_t - m_c) / se, se^2 = s_t^2 / n_t + s_c^2 / n_c, with the Welch-Satterthwaite degrees of
 * freedom df = se^4 / ((s_t^2/n_t)^2 / (n_t - 1) + (s_c^2/n_c)^2 / (n_c - 1)); the interval uses t_0.975,df. Needs
 * n >= 2 in each arm. */
void stats_welch(const stats_moments *t, const stats_moments *c, stats_ab *out);

/* Sample-ratio mismatch: the chi-square goodness of fit (1 degree of freedom) of n_t : n_c against the planned
 * ratio planned_t : planned_c; flag when p < STATS_AB_SRM_ALPHA. */
typedef struct stats_srm {
    double expected_ratio, observed_ratio; /* treated share of the two arms, planned and observed */
    double chi2, p_value;
    bool flag;
} stats_srm;
void stats_srm_check(int64_t planned_t, int64_t planned_c, int64_t n_t, int64_t n_c, stats_srm *out);

#endif
