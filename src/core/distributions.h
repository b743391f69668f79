/* The normal, Student's t and chi-square distributions the campaign statistics need (p-values and quantiles),
 * through Boost.Math (Boost Software Licence; Debian's libboost-dev, headers only) behind a C interface, as
 * phone.cc does for libphonenumber. Pure and thread-safe. Each returns NAN for arguments out of range (df <= 0,
 * p outside (0, 1)) instead of throwing. Called by src/core/stats_ab.c. */
#ifndef BASHGAH_CORE_DISTRIBUTIONS_H
#define BASHGAH_CORE_DISTRIBUTIONS_H

#ifdef __cplusplus
extern "C" {
#endif

/* P(Z <= z) for the standard normal. */
double dist_normal_cdf(double z);
/* The standard normal's p-quantile: dist_normal_quantile(0.975) = 1.959964. */
double dist_normal_quantile(double p);
/* P(T > |t|) * 2 for Student's t with df degrees of freedom (df may be fractional, as Welch's is). */
double dist_t_two_sided_p(double t, double df);
/* Student's t p-quantile with df degrees of freedom. */
double dist_t_quantile(double p, double df);
/* P(X > x) for chi-square with df degrees of freedom. */
double dist_chi2_sf(double x, double df);

#ifdef __cplusplus
}
#endif

#endif
