/*
 * moments.h: the calendar rules of yearly moments (birthdays, anniversaries of joining, custom dates): on which
 * local day a date comes back in a given year, whether a member's local day is that day, which month-days the job
 * must look up at an instant, and the deterministic holdout draw.
 *
 * Invariant: a date is kept in its own calendar. A birthday recorded in the Persian calendar comes on the same
 * Jalali day each year; a day that a year lacks (29 February, 30 Esfand) comes the day before or the day after,
 * by the moment's policy, and belongs to the year it stands in for (30 Esfand 1402 "after" is 1 Farvardin 1403,
 * the occurrence of year 1402).
 * Pure: `now` is passed in; calendars and zones through core/calendar.c (ICU). Called by src/jobs/moments.c.
 */
#ifndef BASHGAH_CORE_MOMENTS_H
#define BASHGAH_CORE_MOMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/calendar.h"

typedef enum { MOMENTS_LEAP_BEFORE, MOMENTS_LEAP_AFTER } moments_leap;

/* Longest list moments_candidate_mds fills. */
#define MOMENTS_MDS_MAX 16

/* A civil date in a calendar. */
typedef struct moments_date {
    int y, m, d;
} moments_date;

/* "before" | "after" into *out; 0, or -1 for anything else. */
int moments_leap_from_name(const char *name, moments_leap *out);
const char *moments_leap_name(moments_leap p);

/* The day on which the yearly date m-d of calendar k is kept in year `year` of k: m-d itself when that year has
 * it, otherwise the day before or the first day after, by policy (which may be in year + 1). 0, or -1 when m-d
 * is never a real day of k (outputs untouched). */
int moments_occurrence(calendar_kind k, int m, int d, int year, moments_leap policy, moments_date *out);

/* Whether `today` (a local date in calendar k) is the day of the yearly date `origin` (a real date of k, e.g. a
 * birth date) in some year after origin's own; sets *year to that year. */
bool moments_due(calendar_kind k, const moments_date *origin, const moments_date *today, moments_leap policy,
                 int *year);

/* Whether, at at_ms in time zone tz, the member's local day is origin's day (in calendar k) and its local hour has
 * reached send_hour: 1 (with *year), 0, or -1 for a bad zone. Later hours of the same local day still answer 1, so a
 * job that was down at the hour catches up that day, and never the next. */
int moments_due_at(calendar_kind k, const char *tz, int64_t at_ms, const moments_date *origin, moments_leap policy,
                   int send_hour, int *year);

/* The month-days (month * 100 + day) of calendar k that a local date of some time zone may carry at at_ms (zones
 * lie between UTC-12 and UTC+14, so the UTC date and the days around it), widened by `slack` days on each side,
 * with 229 or 1230 added when a nearby day may stand in for them. Into mds (MOMENTS_MDS_MAX at least); returns how
 * many, or -1. */
int moments_candidate_mds(calendar_kind k, int64_t at_ms, int slack, int *mds);

/* The deterministic holdout draw: true for about permille in 1000 of (moment, member, year), the same answer on
 * every run. */
bool moments_holdout(int64_t moment_id, int64_t member_id, int year, int permille);

#endif
