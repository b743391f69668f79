/*
 * calendar.h: civil dates in the calendars members use (Gregorian and Persian/Solar Hijri), and
 * IANA time-zone names, through ICU.
 *
 * Invariant: a date that passes calendar_date_parse is a real day in its calendar (1403-12-30 is,
 * since 1403 is a Persian leap year; 1402-12-30 and 2023-02-29 are not) with a year in 1..9999.
 * Gregorian dates are proleptic (no Julian switch in 1582), as in ISO 8601 and SQL.
 * Pure and thread-safe: each thread keeps its own ICU calendars, opened on first use and closed
 * when the thread exits. Called by member validation and import, and by the birthday jobs.
 */
#ifndef BASHGAH_CORE_CALENDAR_H
#define BASHGAH_CORE_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef enum { CALENDAR_GREGORIAN, CALENDAR_PERSIAN } calendar_kind;

/* Longest time-zone name calendar_tz_valid accepts (IANA names are at most about 32 bytes). */
#define CALENDAR_TZ_LEN_MAX 64

/* "gregorian" or "persian" (exact, lowercase) into *out. Returns 0, or -1 for anything else. */
int calendar_from_name(const char *name, calendar_kind *out);

/* "gregorian" or "persian"; a static string, never NULL ("gregorian" for an unknown kind). */
const char *calendar_name(calendar_kind k);

/* Parses s[0..len) as a strict zero-padded YYYY-MM-DD in calendar k; Persian and Arabic-Indic
 * digits are accepted. Returns 0 with *y, *m, *d set (m and d from 1), or -1 with *why (when why
 * is not NULL) set to a static English message. */
int calendar_date_parse(const char *s, size_t len, calendar_kind k, int *y, int *m, int *d,
                        const char **why);

/* Converts the real date y-m-d of calendar k to the proleptic Gregorian calendar.
 * Returns 0, or -1 when the input is not a real date with a year in 1..9999 (outputs untouched). */
int calendar_to_gregorian(calendar_kind k, int y, int m, int d, int *gy, int *gm, int *gd);

/* Converts the real Gregorian date gy-gm-gd (year 1..9999) to calendar k. Returns 0, or -1 when
 * the input is not a real date or the result would fall before year 1 of k (outputs untouched). */
int calendar_from_gregorian(calendar_kind k, int gy, int gm, int gd, int *y, int *m, int *d);

/* True only for time-zone IDs in ICU's copy of the IANA database ("Asia/Tehran", "UTC", ...);
 * false for NULL, "", unknown names and custom offsets such as "GMT+5" or "+03:30". */
bool calendar_tz_valid(const char *tz);


typedef enum { CALENDAR_MONTH, CALENDAR_YEAR } calendar_unit;

/* The first instant after the month (or year), in calendar k and time zone tz, that holds at_ms: where points
 * earned at at_ms expire under an "end of month" (or "end of year") policy. 0, or -1 for a bad zone. */
int calendar_period_end(calendar_kind k, const char *tz, int64_t at_ms, calendar_unit unit, int64_t *end_ms);

/* The local civil date (in calendar k) and hour (0..23) at at_ms in time zone tz: where a member's day stands.
 * 0, or -1 for a bad zone or kind (outputs untouched). */
int calendar_local(calendar_kind k, const char *tz, int64_t at_ms, int *y, int *m, int *d, int *hour);
/* The same without the hour (m and d from 1). */
int calendar_local_date(calendar_kind k, const char *tz, int64_t at_ms, int *y, int *m, int *d);
#endif
