/* The pilot, control and roll-out draws (see experiment.h). The allocation reuses sampling_allocate; the draw
 * reuses the survey sampling's keyed hash. */
#include "core/experiment.h"

#include <math.h>
#include <stdlib.h>

int64_t experiment_share_count(double share, int64_t total)
{
    if (!(share > 0) || total <= 0)
        return 0;
    double w = share * (double)total;
    int64_t k = (int64_t)ceil(w - 1e-9);
    return k < total ? k : total;
}

int experiment_allocate(const int64_t *sizes, int strata, int64_t want_a, int64_t want_b, int64_t *a, int64_t *b)
{
    if (strata < 1 || strata > SAMPLING_STRATA_MAX || want_a < 0 || want_b < 0)
        return EXPERIMENT_BAD_ARGS;
    int64_t total = 0;
    for (int h = 0; h < strata; h++)
        total += sizes[h];
    if (want_a > total)
        return EXPERIMENT_BAD_SAMPLE;
    if (want_b > total - want_a)
        return EXPERIMENT_BAD_CONTROL;
    if (sampling_allocate(sizes, strata, want_a, 0, a) != want_a)
        return EXPERIMENT_BAD_ARGS;
    int64_t left[SAMPLING_STRATA_MAX];
    for (int h = 0; h < strata; h++)
        left[h] = sizes[h] - a[h];
    if (sampling_allocate(left, strata, want_b, 0, b) != want_b)
        return EXPERIMENT_BAD_ARGS;
    return EXPERIMENT_OK;
}

static int by_stratum_draw(const void *x, const void *y)
{
    const sampling_unit *p = x, *q = y;
    if (p->stratum != q->stratum)
        return p->stratum < q->stratum ? -1 : 1;
    if (p->draw != q->draw)
        return p->draw < q->draw ? -1 : 1;
    return (p->id > q->id) - (p->id < q->id);
}

void experiment_draw(uint64_t seed, sampling_unit *units, size_t n, int strata, const int64_t *a, const int64_t *b,
                     unsigned char *arm, int64_t counts[3])
{
    sampling_draw_all(seed, units, n);
    qsort(units, n, sizeof(*units), by_stratum_draw);
    int64_t c[3] = {0}, pos = 0;
    for (size_t i = 0; i < n; i++) {
        int h = units[i].stratum;
        pos = i > 0 && units[i - 1].stratum == h ? pos + 1 : 0;
        unsigned char x = EXPERIMENT_NONE;
        if (h >= 0 && h < strata)
            x = pos < a[h] ? EXPERIMENT_A : pos < a[h] + b[h] ? EXPERIMENT_B : EXPERIMENT_NONE;
        arm[i] = x;
        c[x]++;
    }
    if (counts)
        counts[0] = c[0], counts[1] = c[1], counts[2] = c[2];
}
