/* Campaign statistics (see stats_ab.h and docs/campaigns.md). The distributions come from Boost.Math through
 * distributions.h; what is computed here is only the arithmetic of each test. */
#include "core/stats_ab.h"

#include <math.h>

#include "core/distributions.h"

/* z_(1 - alpha/2) + z_power: 1.959964 + 0.841621 = 2.801585 */
static double mde_factor(void)
{
    return dist_normal_quantile(1 - STATS_AB_ALPHA / 2) + dist_normal_quantile(STATS_AB_POWER);
}

double stats_mde_mean(double sd, int64_t n_t, int64_t n_c)
{
    if (n_t < 1 || n_c < 1 || !(sd >= 0))
        return -1;
    return mde_factor() * sd * sqrt(1.0 / (double)n_t + 1.0 / (double)n_c);
}

double stats_mde_proportion(double p0, int64_t n_t, int64_t n_c)
{
    if (!(p0 >= 0 && p0 <= 1))
        return -1;
    return stats_mde_mean(sqrt(p0 * (1 - p0)), n_t, n_c);
}

void stats_two_proportion(int64_t x_t, int64_t n_t, int64_t x_c, int64_t n_c, stats_ab *out)
{
    *out = (stats_ab){.p_value = 1};
    if (n_t < 1 || n_c < 1 || x_t < 0 || x_c < 0 || x_t > n_t || x_c > n_c)
        return;
    double pt = (double)x_t / (double)n_t, pc = (double)x_c / (double)n_c;
    double inv = 1.0 / (double)n_t + 1.0 / (double)n_c;
    double pool = (double)(x_t + x_c) / (double)(n_t + n_c);
    double se0 = sqrt(pool * (1 - pool) * inv);
    double se = sqrt(pt * (1 - pt) / (double)n_t + pc * (1 - pc) / (double)n_c);
    double z = dist_normal_quantile(1 - STATS_AB_ALPHA / 2);
    out->value_t = pt, out->value_c = pc;
    out->difference = pt - pc;
    out->low = out->difference - z * se;
    out->high = out->difference + z * se;
    if (se0 > 0) {
        out->statistic = out->difference / se0;
        out->p_value = 2 * (1 - dist_normal_cdf(fabs(out->statistic)));
    }
    out->ok = true;
}

double stats_moments_variance(const stats_moments *m)
{
    if (m->n < 2)
        return 0;
    double n = (double)m->n, mean = m->sum / n;
    double v = (m->sum_sq - n * mean * mean) / (n - 1);
    return v > 0 ? v : 0; /* rounding can leave a tiny negative for equal values */
}

void stats_welch(const stats_moments *t, const stats_moments *c, stats_ab *out)
{
    *out = (stats_ab){.p_value = 1};
    if (t->n < 2 || c->n < 2)
        return;
    double nt = (double)t->n, nc = (double)c->n;
    double at = stats_moments_variance(t) / nt, ac = stats_moments_variance(c) / nc;
    double se2 = at + ac;
    out->value_t = t->sum / nt, out->value_c = c->sum / nc;
    out->difference = out->value_t - out->value_c;
    if (!(se2 > 0)) {
        out->low = out->high = out->difference;
        return; /* every member the same: no test */
    }
    double se = sqrt(se2);
    out->df = se2 * se2 / (at * at / (nt - 1) + ac * ac / (nc - 1));
    out->statistic = out->difference / se;
    out->p_value = dist_t_two_sided_p(out->statistic, out->df);
    double q = dist_t_quantile(1 - STATS_AB_ALPHA / 2, out->df);
    out->low = out->difference - q * se;
    out->high = out->difference + q * se;
    out->ok = true;
}

void stats_srm_check(int64_t planned_t, int64_t planned_c, int64_t n_t, int64_t n_c, stats_srm *out)
{
    *out = (stats_srm){.p_value = 1};
    if (planned_t < 1 || planned_c < 1 || n_t < 0 || n_c < 0)
        return;
    double share = (double)planned_t / (double)(planned_t + planned_c);
    double n = (double)(n_t + n_c);
    out->expected_ratio = share;
    if (n <= 0)
        return;
    out->observed_ratio = (double)n_t / n;
    double et = n * share, ec = n * (1 - share);
    double dt = (double)n_t - et, dc = (double)n_c - ec;
    out->chi2 = dt * dt / et + dc * dc / ec;
    out->p_value = dist_chi2_sf(out->chi2, 1);
    out->flag = out->p_value < STATS_AB_SRM_ALPHA;
}
