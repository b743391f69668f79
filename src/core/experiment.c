/* The pilot, control and roll-out draws (see experiment.h). The allocation reuses sampling_allocate; the draw
 * reuses the survey sampling's keyed hash. */
#include "core/experiment.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

/* The draw order: lower draw first, ties by id (ids are unique, so no two units are equal). */
static bool draw_less(const sampling_unit *p, const sampling_unit *q)
{
    return p->draw != q->draw ? p->draw < q->draw : p->id < q->id;
}

static void swap_units(sampling_unit *p, sampling_unit *q)
{
    sampling_unit t = *p;
    *p = *q;
    *q = t;
}

/* Moves the k first of u[0 .. n) in the draw order to the front, in no set order (quickselect: the draws are
 * uniform hashes, so the middle unit is as good a pivot as a random one; expected time linear in n). */
static void select_first(sampling_unit *u, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* [0, lo) all come before [lo, n); [0, hi) all before [hi, n) */
    while (lo < k && k < hi) {
        swap_units(&u[lo + (hi - lo) / 2], &u[hi - 1]);
        size_t at = lo;
        for (size_t i = lo; i < hi - 1; i++)
            if (draw_less(&u[i], &u[hi - 1]))
                swap_units(&u[i], &u[at++]);
        swap_units(&u[at], &u[hi - 1]);
        if (at < k)
            lo = at + 1;
        else
            hi = at;
    }
}

void experiment_draw(uint64_t seed, sampling_unit *units, size_t n, int strata, const int64_t *a, const int64_t *b,
                     unsigned char *arm, int64_t counts[3])
{
    sampling_draw_all(seed, units, n);
    /* Group by stratum (a counting sort; units of no stratum last), then take each stratum's first a[h] and next
     * b[h] by selection: only who falls in which arm matters, so no stratum is sorted whole. */
    size_t start[SAMPLING_STRATA_MAX + 2] = {0};
    int groups = strata >= 0 && strata <= SAMPLING_STRATA_MAX ? strata : 0;
    for (size_t i = 0; i < n; i++) {
        int h = units[i].stratum;
        start[(h >= 0 && h < groups ? h : groups) + 1]++;
    }
    for (int h = 1; h <= groups + 1; h++)
        start[h] += start[h - 1];
    sampling_unit *sorted = malloc((n ? n : 1) * sizeof(*sorted));
    if (!sorted)
        abort(); /* out of memory */
    size_t next[SAMPLING_STRATA_MAX + 1];
    for (int h = 0; h <= groups; h++)
        next[h] = start[h];
    for (size_t i = 0; i < n; i++) {
        int h = units[i].stratum;
        sorted[next[h >= 0 && h < groups ? h : groups]++] = units[i];
    }
    memcpy(units, sorted, n * sizeof(*units));
    free(sorted);
    int64_t c[3] = {0};
    for (int h = 0; h <= groups; h++) {
        size_t size = start[h + 1] - start[h];
        size_t ka = h < groups && a[h] > 0 ? ((size_t)a[h] < size ? (size_t)a[h] : size) : 0;
        size_t kb = h < groups && b[h] > 0 ? ((size_t)b[h] < size - ka ? (size_t)b[h] : size - ka) : 0;
        select_first(units + start[h], size, ka);
        select_first(units + start[h] + ka, size - ka, kb);
        for (size_t i = 0; i < size; i++) {
            unsigned char x = i < ka ? EXPERIMENT_A : i < ka + kb ? EXPERIMENT_B : EXPERIMENT_NONE;
            arm[start[h] + i] = x;
            c[x]++;
        }
    }
    if (counts)
        counts[0] = c[0], counts[1] = c[1], counts[2] = c[2];
}
