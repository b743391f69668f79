/*
 * calendar.c: Gregorian and Persian dates and time-zone names over ICU's ucal API (see calendar.h).
 *
 * Invariant: a cached UCalendar is UTC, non-lenient, and (for Gregorian) proleptic; every use
 * starts with ucal_clear, so no field leaks from one call into the next. Opening an ICU calendar
 * costs far more than using one and imports validate ~100k rows/s, so each thread keeps one per
 * kind (a thread-local cache, the only state here) and a pthread key closes them at thread exit.
 */
#include "core/calendar.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "core/text.h"

#define CALENDAR_KINDS 2
#define CALENDAR_YEAR_MIN 1
#define CALENDAR_YEAR_MAX 9999
/* "YYYY-MM-DD" */
#define CALENDAR_DATE_LEN 10

/* Earlier than any date we handle: as the Gregorian change date it makes the calendar proleptic. */
#define CALENDAR_GREGORIAN_CHANGE_NONE (-1.0e17)

static const struct {
    const char *name;
    const char *locale; /* ICU locale that selects the calendar system */
} calendar_table[CALENDAR_KINDS] = {
    [CALENDAR_GREGORIAN] = {"gregorian", "en@calendar=gregorian"},
    [CALENDAR_PERSIAN] = {"persian", "en@calendar=persian"},
};

static const char *const calendar_why_form = "must be a date as YYYY-MM-DD";
static const char *const calendar_why_year = "year must be between 1 and 9999";
static const char *const calendar_why_month = "month must be between 01 and 12";
static const char *const calendar_why_not_real[CALENDAR_KINDS] = {
    [CALENDAR_GREGORIAN] = "is not a real date in the gregorian calendar",
    [CALENDAR_PERSIAN] = "is not a real date in the persian calendar",
};

/* The per-thread cache. The key and its once-flag are set once and never change after. */
static _Thread_local UCalendar *calendar_cache[CALENDAR_KINDS];
static pthread_key_t calendar_cache_key;
static pthread_once_t calendar_cache_once = PTHREAD_ONCE_INIT;
static bool calendar_cache_key_ok;

/* Runs at thread exit (the value is only a non-NULL marker; the calendars are thread-local). */
static void calendar_cache_release(void *marker)
{
    (void)marker;
    for (int k = 0; k < CALENDAR_KINDS; k++) {
        if (calendar_cache[k] != NULL) {
            ucal_close(calendar_cache[k]);
            calendar_cache[k] = NULL;
        }
    }
}

static void calendar_cache_key_init(void)
{
    calendar_cache_key_ok = pthread_key_create(&calendar_cache_key, calendar_cache_release) == 0;
}

static UCalendar *calendar_open(calendar_kind k)
{
    static const UChar utc[] = {'U', 'T', 'C', 0};
    UErrorCode err = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(utc, -1, calendar_table[k].locale, UCAL_DEFAULT, &err);
    if (U_FAILURE(err)) {
        return NULL;
    }
    ucal_setAttribute(cal, UCAL_LENIENT, 0);
    if (k == CALENDAR_GREGORIAN) {
        ucal_setGregorianChange(cal, CALENDAR_GREGORIAN_CHANGE_NONE, &err);
    }
    if (U_FAILURE(err)) {
        ucal_close(cal);
        return NULL;
    }
    return cal;
}

/* This thread's calendar of kind k, opened on first use; NULL if ICU cannot open it. */
static UCalendar *calendar_get(calendar_kind k)
{
    if (calendar_cache[k] != NULL) {
        return calendar_cache[k];
    }
    pthread_once(&calendar_cache_once, calendar_cache_key_init);
    UCalendar *cal = calendar_open(k);
    if (cal == NULL) {
        return NULL;
    }
    calendar_cache[k] = cal;
    if (calendar_cache_key_ok) {
        /* Arms the exit-time release for this thread; setting it again is harmless. */
        pthread_setspecific(calendar_cache_key, calendar_cache);
    }
    return cal;
}

static bool calendar_kind_ok(calendar_kind k)
{
    return (int)k >= 0 && (int)k < CALENDAR_KINDS;
}

int calendar_from_name(const char *name, calendar_kind *out)
{
    if (name == NULL || out == NULL) {
        return -1;
    }
    for (int k = 0; k < CALENDAR_KINDS; k++) {
        if (strcmp(name, calendar_table[k].name) == 0) {
            *out = (calendar_kind)k;
            return 0;
        }
    }
    return -1;
}

const char *calendar_name(calendar_kind k)
{
    return calendar_kind_ok(k) ? calendar_table[k].name : calendar_table[CALENDAR_GREGORIAN].name;
}

/* Sets cal to y-m-d (m from 1) and returns its instant; false when it is not a real date. */
static bool calendar_set_date(UCalendar *cal, int y, int m, int d, UDate *at)
{
    UErrorCode err = U_ZERO_ERROR;
    ucal_clear(cal);
    ucal_set(cal, UCAL_EXTENDED_YEAR, y);
    ucal_set(cal, UCAL_MONTH, m - 1);
    ucal_set(cal, UCAL_DATE, d);
    *at = ucal_getMillis(cal, &err); /* non-lenient: fails on 1402-12-30, 2023-02-29 */
    if (U_FAILURE(err)) {
        return false;
    }
    /* Read back as well, so a date ICU silently moved is still refused. */
    int32_t ry = ucal_get(cal, UCAL_EXTENDED_YEAR, &err);
    int32_t rm = ucal_get(cal, UCAL_MONTH, &err);
    int32_t rd = ucal_get(cal, UCAL_DATE, &err);
    return U_SUCCESS(err) && ry == y && rm == m - 1 && rd == d;
}

/* Reads cal's date at instant `at`; false when ICU fails or the year is before 1. */
static bool calendar_get_date(UCalendar *cal, UDate at, int *y, int *m, int *d)
{
    UErrorCode err = U_ZERO_ERROR;
    ucal_clear(cal);
    ucal_setMillis(cal, at, &err);
    int32_t ry = ucal_get(cal, UCAL_EXTENDED_YEAR, &err);
    int32_t rm = ucal_get(cal, UCAL_MONTH, &err);
    int32_t rd = ucal_get(cal, UCAL_DATE, &err);
    if (U_FAILURE(err) || ry < CALENDAR_YEAR_MIN) {
        return false;
    }
    *y = ry;
    *m = rm + 1;
    *d = rd;
    return true;
}

/* ---- months, asked of ICU once each ----
 * Whether y-m-d is a real day only depends on how long its month is, and its instant is the month's first
 * instant plus whole days (the calendars are UTC). So ICU is asked once per month of each calendar, by the first
 * thread that needs it, and the answer is kept for the whole process: an import checks a million birthdays over a
 * few thousand months (measured: the birthday took a sixth of the reading side's time, two ICU round trips each).
 * An entry is 0 until known, then MONTH_KNOWN | (first day, in days since 1970-01-01, + MONTH_DAY_BIAS) << 5 |
 * length; written and read whole with atomics, and two threads that fill one write the same value. */
#define MONTH_KNOWN ((uint64_t)1 << 63)
#define MONTH_DAY_BIAS ((int64_t)1 << 40) /* keeps days before 1970 (back to year 1) positive */
#define DAY_MS 86400000.0
static uint64_t calendar_months[CALENDAR_KINDS][CALENDAR_YEAR_MAX + 1][12];

/* The entry of month m (from 1) of year y in calendar k, asked of ICU when not known yet; 0 when ICU fails. */
static uint64_t calendar_month(calendar_kind k, int y, int m)
{
    uint64_t *slot = &calendar_months[k][y][m - 1];
    uint64_t e = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (e != 0) {
        return e;
    }
    UCalendar *cal = calendar_get(k);
    UDate first;
    if (cal == NULL || !calendar_set_date(cal, y, m, 1, &first)) {
        return 0;
    }
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = ucal_getLimit(cal, UCAL_DATE, UCAL_ACTUAL_MAXIMUM, &err);
    if (U_FAILURE(err) || len < 1 || len > 31) {
        return 0;
    }
    int64_t day = (int64_t)(first / DAY_MS);
    e = MONTH_KNOWN | (uint64_t)(day + MONTH_DAY_BIAS) << 5 | (uint64_t)len;
    __atomic_store_n(slot, e, __ATOMIC_RELEASE);
    return e;
}

/* The real-date check shared by parsing and conversion: true with the day's first instant in *at. */
static bool calendar_date_real(calendar_kind k, int y, int m, int d, UDate *at)
{
    if (!calendar_kind_ok(k) || y < CALENDAR_YEAR_MIN || y > CALENDAR_YEAR_MAX) {
        return false;
    }
    if (m < 1 || m > 12 || d < 1 || d > 31) {
        return false;
    }
    uint64_t e = calendar_month(k, y, m);
    if (e == 0 || d > (int)(e & 31)) {
        return false;
    }
    int64_t first = (int64_t)((e & ~MONTH_KNOWN) >> 5) - MONTH_DAY_BIAS;
    *at = (double)(first + d - 1) * DAY_MS;
    return true;
}

static int calendar_fail(const char **why, const char *message)
{
    if (why != NULL) {
        *why = message;
    }
    return -1;
}

/* Reads n ASCII digits at s; -1 if any is not a digit. */
static int calendar_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int calendar_date_parse(const char *s, size_t len, calendar_kind k, int *y, int *m, int *d,
                        const char **why)
{
    /* Every non-ASCII digit is at least two bytes, so a date is at most 4 bytes a character. */
    char buf[CALENDAR_DATE_LEN * 4 + 1];
    if (s == NULL || !calendar_kind_ok(k) || len > CALENDAR_DATE_LEN * 4) {
        return calendar_fail(why, calendar_why_form);
    }
    int n = text_digits_to_ascii(s, len, buf, sizeof buf);
    if (n != CALENDAR_DATE_LEN || buf[4] != '-' || buf[7] != '-') {
        return calendar_fail(why, calendar_why_form);
    }
    int py = calendar_digits(buf, 4);
    int pm = calendar_digits(buf + 5, 2);
    int pd = calendar_digits(buf + 8, 2);
    if (py < 0 || pm < 0 || pd < 0) {
        return calendar_fail(why, calendar_why_form);
    }
    if (py < CALENDAR_YEAR_MIN) {
        return calendar_fail(why, calendar_why_year);
    }
    if (pm < 1 || pm > 12) {
        return calendar_fail(why, calendar_why_month);
    }
    UDate at;
    if (!calendar_date_real(k, py, pm, pd, &at)) {
        return calendar_fail(why, calendar_why_not_real[k]);
    }
    *y = py;
    *m = pm;
    *d = pd;
    return 0;
}

/* Converts between calendars through the instant (midnight UTC) of the day. */
static int calendar_convert(calendar_kind from, int y, int m, int d, calendar_kind to, int *ty,
                            int *tm, int *td)
{
    UDate at;
    if (!calendar_kind_ok(to) || !calendar_date_real(from, y, m, d, &at)) {
        return -1;
    }
    UCalendar *cal = calendar_get(to);
    if (cal == NULL || !calendar_get_date(cal, at, ty, tm, td)) {
        return -1;
    }
    return 0;
}

int calendar_to_gregorian(calendar_kind k, int y, int m, int d, int *gy, int *gm, int *gd)
{
    return calendar_convert(k, y, m, d, CALENDAR_GREGORIAN, gy, gm, gd);
}

int calendar_from_gregorian(calendar_kind k, int gy, int gm, int gd, int *y, int *m, int *d)
{
    return calendar_convert(CALENDAR_GREGORIAN, gy, gm, gd, k, y, m, d);
}

/* IANA names use ASCII letters, digits and "/_+-" only; anything else is refused before ICU. */
static bool calendar_tz_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '/' || c == '_' || c == '+' || c == '-';
}

/* The zones this thread found valid lately: an import asks about the same few zones row after row, and ICU's
 * look-up costs more than the rest of a row's time zone check. Only valid answers are kept; a zone stays one
 * while the process runs. */
#define TZ_SEEN 8
static _Thread_local char tz_seen[TZ_SEEN][CALENDAR_TZ_LEN_MAX + 1];
static _Thread_local unsigned tz_seen_next;

bool calendar_tz_valid(const char *tz)
{
    if (tz == NULL) {
        return false;
    }
    size_t len = strnlen(tz, CALENDAR_TZ_LEN_MAX + 1);
    if (len == 0 || len > CALENDAR_TZ_LEN_MAX) {
        return false;
    }
    for (int k = 0; k < TZ_SEEN; k++) {
        if (memcmp(tz_seen[k], tz, len + 1) == 0) {
            return true;
        }
    }
    UChar id[CALENDAR_TZ_LEN_MAX];
    for (size_t i = 0; i < len; i++) {
        if (!calendar_tz_char_ok(tz[i])) {
            return false;
        }
        id[i] = (UChar)tz[i];
    }
    UChar canonical[CALENDAR_TZ_LEN_MAX * 2];
    UBool system = 0;
    UErrorCode err = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(id, (int32_t)len, canonical, CALENDAR_TZ_LEN_MAX * 2, &system, &err);
    /* Custom zones ("GMT+5") canonicalise without error but are not system (tz database) IDs. */
    if (!U_SUCCESS(err) || !system) {
        return false;
    }
    memcpy(tz_seen[tz_seen_next++ % TZ_SEEN], tz, len + 1);
    return true;
}

int calendar_period_end(calendar_kind k, const char *tz, int64_t at_ms, calendar_unit unit, int64_t *end_ms)
{
    if (!calendar_kind_ok(k) || !tz || !calendar_tz_valid(tz))
        return -1;
    UChar zone[128];
    u_uastrncpy(zone, tz, 127);
    zone[127] = 0;
    UErrorCode err = U_ZERO_ERROR;
    /* A calendar of its own: the cached ones are in UTC and shared by the thread. */
    UCalendar *cal = ucal_open(zone, -1, calendar_table[k].locale, UCAL_DEFAULT, &err);
    if (U_FAILURE(err))
        return -1;
    ucal_setMillis(cal, (UDate)at_ms, &err);
    if (unit == CALENDAR_YEAR)
        ucal_set(cal, UCAL_MONTH, 0);
    ucal_set(cal, UCAL_DATE, 1);
    ucal_set(cal, UCAL_HOUR_OF_DAY, 0);
    ucal_set(cal, UCAL_MINUTE, 0);
    ucal_set(cal, UCAL_SECOND, 0);
    ucal_set(cal, UCAL_MILLISECOND, 0);
    ucal_add(cal, unit == CALENDAR_YEAR ? UCAL_YEAR : UCAL_MONTH, 1, &err);
    UDate end = ucal_getMillis(cal, &err);
    ucal_close(cal);
    if (U_FAILURE(err))
        return -1;
    *end_ms = (int64_t)end;
    return 0;
}

int calendar_local(calendar_kind k, const char *tz, int64_t at_ms, int *y, int *m, int *d, int *hour)
{
    if (!calendar_kind_ok(k) || !tz || !calendar_tz_valid(tz))
        return -1;
    UChar zone[128];
    u_uastrncpy(zone, tz, 127);
    zone[127] = 0;
    UErrorCode err = U_ZERO_ERROR;
    /* A calendar of its own, as in calendar_period_end: the cached ones are in UTC. */
    UCalendar *cal = ucal_open(zone, -1, calendar_table[k].locale, UCAL_DEFAULT, &err);
    if (U_FAILURE(err))
        return -1;
    if (k == CALENDAR_GREGORIAN)
        ucal_setGregorianChange(cal, CALENDAR_GREGORIAN_CHANGE_NONE, &err);
    ucal_setMillis(cal, (UDate)at_ms, &err);
    int32_t ry = ucal_get(cal, UCAL_EXTENDED_YEAR, &err);
    int32_t rm = ucal_get(cal, UCAL_MONTH, &err);
    int32_t rd = ucal_get(cal, UCAL_DATE, &err);
    int32_t rh = ucal_get(cal, UCAL_HOUR_OF_DAY, &err);
    ucal_close(cal);
    if (U_FAILURE(err))
        return -1;
    *y = ry;
    *m = rm + 1;
    *d = rd;
    *hour = rh;
    return 0;
}

int calendar_local_date(calendar_kind k, const char *tz, int64_t at_ms, int *y, int *m, int *d)
{
    int hour;
    return calendar_local(k, tz, at_ms, y, m, d, &hour);
}
