/* RFM quintile scores with ties by mid-position, and the value estimate (see rfm.h; docs/classes.md). */
#include "core/rfm.h"

#include <string.h>

#define DAY_MS INT64_C(86400000)

/* LSD radix sort on 8-bit digits of the value with its sign bit flipped (so negative values sort first). All
 * eight digit histograms come from one pass over the values; a digit that is the same in every value needs no
 * pass of its own, so small values (purchase counts) take one or two, times in ms five. */
void rfm_sort(int64_t *a, int64_t *tmp, size_t n)
{
    static const uint64_t flip = UINT64_C(1) << 63;
    size_t count[8][257];
    memset(count, 0, sizeof(count));
    for (size_t i = 0; i < n; i++) {
        uint64_t k = (uint64_t)a[i] ^ flip;
        for (int d = 0; d < 8; d++)
            count[d][(k >> (8 * d) & 0xff) + 1]++;
    }
    int64_t *src = a, *dst = tmp;
    for (int d = 0; d < 8; d++) {
        size_t *c = count[d];
        int trivial = 0;
        for (int b = 1; b <= 256; b++)
            trivial |= c[b] == n;
        if (trivial)
            continue;
        for (int b = 1; b <= 256; b++)
            c[b] += c[b - 1];
        for (size_t i = 0; i < n; i++)
            dst[c[((uint64_t)src[i] ^ flip) >> (8 * d) & 0xff]++] = src[i];
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
}

void rfm_cuts_of(const int64_t *values, size_t n, int64_t *scratch, rfm_cuts *out)
{
    for (int s = 0; s <= RFM_SCORE_MAX; s++)
        out->cut[s] = INT64_MAX;
    if (n == 0)
        return;
    int64_t *sorted = scratch;
    memcpy(sorted, values, n * sizeof(*values));
    rfm_sort(sorted, scratch + n, n);
    int reached = 1; /* the highest score given so far */
    for (size_t lo = 0; lo < n && reached < RFM_SCORE_MAX;) {
        size_t hi = lo + 1;
        while (hi < n && sorted[hi] == sorted[lo])
            hi++;
        int score = 1 + (int)((unsigned __int128)5 * (lo + hi) / (2 * (unsigned __int128)n));
        for (; reached < score; reached++)
            out->cut[reached + 1] = sorted[lo];
        lo = hi;
    }
}

int rfm_score_one(const rfm_cuts *c, int64_t v)
{
    return 1 + (v >= c->cut[2]) + (v >= c->cut[3]) + (v >= c->cut[4]) + (v >= c->cut[5]);
}

int64_t rfm_value(int64_t purchase_count, int64_t total_spent_minor, int64_t first_purchase_at, int64_t now,
                  int horizon_days, int min_tenure_days)
{
    if (purchase_count <= 0 || total_spent_minor <= 0)
        return 0;
    int64_t tenure = now - first_purchase_at;
    int64_t min_tenure = min_tenure_days * DAY_MS;
    if (tenure < min_tenure)
        tenure = min_tenure;
    return (int64_t)((__int128)total_spent_minor * (horizon_days * DAY_MS) / tenure);
}
