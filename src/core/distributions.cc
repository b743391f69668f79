/* Distributions through Boost.Math (see distributions.h). Boost reports bad arguments by throwing; every entry
 * here catches and answers NAN, so no exception crosses into C. */
#include "core/distributions.h"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>

namespace bm = boost::math;

extern "C" double dist_normal_cdf(double z)
{
    try {
        return bm::cdf(bm::normal_distribution<double>(), z);
    } catch (...) {
        return NAN;
    }
}

extern "C" double dist_normal_quantile(double p)
{
    try {
        return bm::quantile(bm::normal_distribution<double>(), p);
    } catch (...) {
        return NAN;
    }
}

extern "C" double dist_t_two_sided_p(double t, double df)
{
    try {
        if (std::isinf(df))
            return 2 * bm::cdf(bm::complement(bm::normal_distribution<double>(), std::fabs(t)));
        return 2 * bm::cdf(bm::complement(bm::students_t_distribution<double>(df), std::fabs(t)));
    } catch (...) {
        return NAN;
    }
}

extern "C" double dist_t_quantile(double p, double df)
{
    try {
        return bm::quantile(bm::students_t_distribution<double>(df), p);
    } catch (...) {
        return NAN;
    }
}

extern "C" double dist_chi2_sf(double x, double df)
{
    try {
        if (x <= 0)
            return 1;
        return bm::cdf(bm::complement(bm::chi_squared_distribution<double>(df), x));
    } catch (...) {
        return NAN;
    }
}
