/* The calendar rules of yearly moments (see moments.h). */
#include "core/moments.h"

#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)

int moments_leap_from_name(const char *name, moments_leap *out)
{
    if (name && strcmp(name, "before") == 0)
        *out = MOMENTS_LEAP_BEFORE;
    else if (name && strcmp(name, "after") == 0)
        *out = MOMENTS_LEAP_AFTER;
    else
        return -1;
    return 0;
}

const char *moments_leap_name(moments_leap p) { return p == MOMENTS_LEAP_AFTER ? "after" : "before"; }

static bool real_day(calendar_kind k, int y, int m, int d)
{
    int gy, gm, gd;
    return calendar_to_gregorian(k, y, m, d, &gy, &gm, &gd) == 0;
}

/* The longest each month of k can be; only the leap day (29 February, 30 Esfand) is missing from some years. */
static const int month_max[2][12] = {{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
                                     {31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 30}};

int moments_occurrence(calendar_kind k, int m, int d, int year, moments_leap policy, moments_date *out)
{
    if (m < 1 || m > 12 || d < 1 || d > 31 || year < 1 || year > 9998 || (k != CALENDAR_GREGORIAN && k != CALENDAR_PERSIAN))
        return -1;
    if (d > month_max[k][m - 1])
        return -1;
    bool leap_day = d == month_max[k][m - 1] && m == (k == CALENDAR_GREGORIAN ? 2 : 12);
    /* every other day is in every year: no need to ask ICU (the job asks this for each candidate) */
    if (!leap_day || real_day(k, year, m, d)) {
        *out = (moments_date){year, m, d};
        return 0;
    }
    /* Only a leap day is missing from some years; any other day missing from every year is no date. */
    if (d < 2 || !real_day(k, year, m, d - 1))
        return -1;
    bool leap_year_has_it = false;
    for (int y = year - 3; y <= year + 4 && !leap_year_has_it; y++)
        leap_year_has_it = y >= 1 && real_day(k, y, m, d);
    if (!leap_year_has_it)
        return -1;
    if (policy == MOMENTS_LEAP_BEFORE)
        *out = (moments_date){year, m, d - 1};
    else
        *out = m == 12 ? (moments_date){year + 1, 1, 1} : (moments_date){year, m + 1, 1};
    return 0;
}

static bool same_day(const moments_date *a, const moments_date *b)
{
    return a->y == b->y && a->m == b->m && a->d == b->d;
}

bool moments_due(calendar_kind k, const moments_date *origin, const moments_date *today, moments_leap policy,
                 int *year)
{
    /* A day of year Y is the occurrence of year Y, or of year Y - 1 when it stands in "after" for 30 Esfand. */
    for (int y = today->y; y >= today->y - 1; y--) {
        moments_date occ;
        if (y <= origin->y || moments_occurrence(k, origin->m, origin->d, y, policy, &occ) != 0)
            continue;
        if (same_day(&occ, today)) {
            *year = y;
            return true;
        }
    }
    return false;
}

int moments_due_at(calendar_kind k, const char *tz, int64_t at_ms, const moments_date *origin, moments_leap policy,
                   int send_hour, int *year)
{
    moments_date today;
    int hour;
    if (calendar_local(k, tz, at_ms, &today.y, &today.m, &today.d, &hour) != 0)
        return -1;
    return hour >= send_hour && moments_due(k, origin, &today, policy, year) ? 1 : 0;
}

static void add_md(int *mds, int *n, int md)
{
    for (int i = 0; i < *n; i++)
        if (mds[i] == md)
            return;
    if (*n < MOMENTS_MDS_MAX)
        mds[(*n)++] = md;
}

int moments_candidate_mds(calendar_kind k, int64_t at_ms, int slack, int *mds)
{
    int n = 0;
    if (slack < 0 || slack > 3)
        return -1;
    for (int off = -1 - slack; off <= 1 + slack; off++) {
        int y, m, d, hour;
        if (calendar_local(k, "UTC", at_ms + off * DAY_MS, &y, &m, &d, &hour) != 0)
            return -1;
        add_md(mds, &n, m * 100 + d);
        /* the days a missing leap day moves to, before or after */
        if (k == CALENDAR_GREGORIAN && ((m == 2 && d == 28) || (m == 3 && d == 1)))
            add_md(mds, &n, 229);
        if (k == CALENDAR_PERSIAN && ((m == 12 && d == 29) || (m == 1 && d == 1)))
            add_md(mds, &n, 1230);
    }
    return n;
}

/* splitmix64's finaliser: a well-mixed 64-bit hash, so neighbouring ids land far apart. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

bool moments_holdout(int64_t moment_id, int64_t member_id, int year, int permille)
{
    if (permille <= 0)
        return false;
    if (permille >= 1000)
        return true;
    uint64_t h = mix64((uint64_t)moment_id * 0x9e3779b97f4a7c15ULL);
    h = mix64(h ^ (uint64_t)member_id);
    h = mix64(h ^ (uint64_t)(uint32_t)year);
    return (int)(h % 1000) < permille;
}
