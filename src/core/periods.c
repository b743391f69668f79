/* Report periods over ICU calendars (periods.h): a calendar in the club's zone is set to the start of the period
 * holding `from` (midnight; the week's first day; the month's first day), then stepped one period at a time, so
 * the lengths follow the calendar (29- to 31-day Jalali months, 23- or 25-hour days where clocks change). */
#include "core/periods.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

static const char *const unit_names[] = {"day", "week", "month"};

int periods_from_name(const char *name, periods_unit *out)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, unit_names[i]) == 0) {
            *out = (periods_unit)i;
            return 0;
        }
    return -1;
}

const char *periods_name(periods_unit u) { return unit_names[u <= PERIODS_MONTH ? u : 0]; }

static UCalendar *open_calendar(calendar_kind k, const char *tz)
{
    if (!calendar_tz_valid(tz))
        return NULL;
    char locale[40];
    snprintf(locale, sizeof(locale), "en@calendar=%s", calendar_name(k));
    UChar zone[128];
    u_uastrncpy(zone, tz, 127);
    zone[127] = 0;
    UErrorCode err = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(zone, -1, locale, UCAL_DEFAULT, &err);
    if (U_FAILURE(err))
        return NULL;
    ucal_setAttribute(cal, UCAL_FIRST_DAY_OF_WEEK, k == CALENDAR_PERSIAN ? UCAL_SATURDAY : UCAL_MONDAY);
    return cal;
}

/* Moves cal back to the start of the period that holds its instant. */
static void floor_period(UCalendar *cal, periods_unit u, UErrorCode *err)
{
    ucal_set(cal, UCAL_HOUR_OF_DAY, 0);
    ucal_set(cal, UCAL_MINUTE, 0);
    ucal_set(cal, UCAL_SECOND, 0);
    ucal_set(cal, UCAL_MILLISECOND, 0);
    if (u == PERIODS_MONTH) {
        ucal_set(cal, UCAL_DATE, 1);
    } else if (u == PERIODS_WEEK) {
        int first = ucal_getAttribute(cal, UCAL_FIRST_DAY_OF_WEEK);
        int dow = ucal_get(cal, UCAL_DAY_OF_WEEK, err);
        ucal_add(cal, UCAL_DATE, -((dow - first + 7) % 7), err);
    }
}

static void label(UCalendar *cal, periods_unit u, char out[16], UErrorCode *err)
{
    int y = ucal_get(cal, UCAL_EXTENDED_YEAR, err), m = ucal_get(cal, UCAL_MONTH, err) + 1;
    int d = ucal_get(cal, UCAL_DATE, err);
    if (u == PERIODS_MONTH)
        snprintf(out, 16, "%04d-%02d", y % 10000, m % 100);
    else
        snprintf(out, 16, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

int periods_split(calendar_kind k, const char *tz, periods_unit u, int64_t from, int64_t to, int64_t *starts,
                  char (*labels)[16], int cap, int *n)
{
    UCalendar *cal = open_calendar(k, tz);
    if (!cal)
        return -1;
    UErrorCode err = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)from, &err);
    floor_period(cal, u, &err);
    *n = 0;
    int64_t at = (int64_t)ucal_getMillis(cal, &err);
    int rc = 0;
    while (U_SUCCESS(err) && at < to) {
        if (*n == cap) {
            rc = -1;
            break;
        }
        starts[*n] = at;
        label(cal, u, labels[*n], &err);
        (*n)++;
        ucal_add(cal, u == PERIODS_MONTH ? UCAL_MONTH : UCAL_DATE, u == PERIODS_WEEK ? 7 : 1, &err);
        at = (int64_t)ucal_getMillis(cal, &err);
    }
    starts[*n] = at;
    ucal_close(cal);
    return U_SUCCESS(err) ? rc : -1;
}

/* Reads n ASCII digits of s into *out; false when one is not a digit. */
static bool digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *out = *out * 10 + (s[i] - '0');
    }
    return true;
}

int periods_parse(calendar_kind k, const char *tz, const char *label, int64_t *from, int64_t *to,
                  calendar_unit *unit_out, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    size_t len = label ? strlen(label) : 0;
    int y = 0, m = 1;
    calendar_unit unit = len == 4 ? CALENDAR_YEAR : CALENDAR_MONTH;
    if ((len != 4 && len != 7) || !digits(label, 4, &y) || (len == 7 && (label[4] != '-' || !digits(label + 5, 2, &m)))) {
        *why = "must be a year (YYYY) or a month (YYYY-MM) of the club's calendar";
        return -1;
    }
    if (y < 1 || m < 1 || m > 12) {
        *why = y < 1 ? "has no year 0" : "has months 01 to 12";
        return -1;
    }
    UCalendar *cal = open_calendar(k, tz);
    if (!cal) {
        *why = "cannot be placed: the club's time zone is unknown";
        return -1;
    }
    UErrorCode err = U_ZERO_ERROR;
    ucal_clear(cal);
    ucal_set(cal, UCAL_YEAR, y);
    ucal_set(cal, UCAL_MONTH, m - 1);
    ucal_set(cal, UCAL_DATE, 1);
    ucal_set(cal, UCAL_HOUR_OF_DAY, 0);
    *from = (int64_t)ucal_getMillis(cal, &err);
    ucal_add(cal, unit == CALENDAR_YEAR ? UCAL_YEAR : UCAL_MONTH, 1, &err);
    *to = (int64_t)ucal_getMillis(cal, &err);
    ucal_close(cal);
    if (U_FAILURE(err)) {
        *why = "cannot be placed in the club's calendar";
        return -1;
    }
    if (unit_out)
        *unit_out = unit;
    return 0;
}
