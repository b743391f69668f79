/* The club's local time for earning rules: the weekday and hour of an event, and the day, week or month that
 * holds it (for per-member caps), in the programme's time zone, through ICU. Split from rules.c, which holds the
 * rule model and its evaluation; both are pure (no I/O), with a thread-local cache of one ICU calendar. */
#include "core/rules.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/uenum.h>

#include "core/calendar.h"

#define RULE_WEEK_FIRST_DAY UCAL_SATURDAY
#define RULE_PERSIAN_REGION "IR" /* zones of this region count months in the Persian calendar */

/* ---- local time through ICU ----
 * Opening an ICU calendar costs far more than using one, and a purchase with capped rules asks for a period per
 * rule, so each thread keeps the calendar of the last zone it used (thread-local, closed at thread exit). */

static _Thread_local UCalendar *zone_cal;
static _Thread_local char zone_cal_id[CALENDAR_TZ_LEN_MAX + 1];
static pthread_key_t zone_cal_key;
static pthread_once_t zone_cal_once = PTHREAD_ONCE_INIT;
static bool zone_cal_key_ok;

static void zone_cal_release(void *marker)
{
    (void)marker;
    if (zone_cal) {
        ucal_close(zone_cal);
        zone_cal = NULL;
    }
}

static void zone_cal_key_init(void) { zone_cal_key_ok = pthread_key_create(&zone_cal_key, zone_cal_release) == 0; }

/* Whether zone id (len UChars) is one of the region's zones in ICU's data. */
static bool zone_in_region(const UChar *id, int32_t len, const char *region)
{
    UErrorCode err = U_ZERO_ERROR;
    UEnumeration *zones = ucal_openTimeZoneIDEnumeration(UCAL_ZONE_TYPE_ANY, region, NULL, &err);
    bool found = false;
    if (U_FAILURE(err))
        return false;
    const UChar *z;
    int32_t zlen;
    while (!found && (z = uenum_unext(zones, &zlen, &err)) != NULL && U_SUCCESS(err))
        found = zlen == len && memcmp(z, id, (size_t)len * sizeof(UChar)) == 0;
    uenum_close(zones);
    return found;
}

/* This thread's calendar for time_zone: Persian in Iran's zones, Gregorian elsewhere. NULL for a bad zone. */
static UCalendar *zone_calendar(const char *time_zone)
{
    if (zone_cal && time_zone && strcmp(zone_cal_id, time_zone) == 0)
        return zone_cal;
    if (!calendar_tz_valid(time_zone))
        return NULL;
    UChar id[CALENDAR_TZ_LEN_MAX];
    int32_t len = (int32_t)strlen(time_zone);
    for (int32_t i = 0; i < len; i++)
        id[i] = (UChar)time_zone[i]; /* calendar_tz_valid allows ASCII only */
    bool persian = zone_in_region(id, len, RULE_PERSIAN_REGION);
    UErrorCode err = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(id, len, persian ? "en@calendar=persian" : "en@calendar=gregorian", UCAL_DEFAULT, &err);
    if (U_FAILURE(err))
        return NULL;
    pthread_once(&zone_cal_once, zone_cal_key_init);
    if (zone_cal)
        ucal_close(zone_cal);
    zone_cal = cal;
    snprintf(zone_cal_id, sizeof(zone_cal_id), "%s", time_zone);
    if (zone_cal_key_ok)
        pthread_setspecific(zone_cal_key, &zone_cal); /* arms the release at thread exit */
    return cal;
}

int rules_local_time(int64_t at_ms, const char *time_zone, int *weekday, int *hour)
{
    UCalendar *cal = zone_calendar(time_zone);
    if (!cal)
        return -1;
    UErrorCode err = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)at_ms, &err);
    int32_t dow = ucal_get(cal, UCAL_DAY_OF_WEEK, &err);
    int32_t h = ucal_get(cal, UCAL_HOUR_OF_DAY, &err);
    if (U_FAILURE(err))
        return -1;
    *weekday = dow - UCAL_SUNDAY;
    *hour = h;
    return 0;
}

/* Moves cal to the start of its local day (the first instant of the day when midnight falls in a DST gap). */
static void to_midnight(UCalendar *cal)
{
    ucal_set(cal, UCAL_HOUR_OF_DAY, 0);
    ucal_set(cal, UCAL_MINUTE, 0);
    ucal_set(cal, UCAL_SECOND, 0);
    ucal_set(cal, UCAL_MILLISECOND, 0);
}

int rules_period_bounds(rule_period p, int64_t at_ms, const char *time_zone, int64_t *from_ms, int64_t *to_ms)
{
    UCalendar *cal = zone_calendar(time_zone);
    if (!cal || (int)p < 0 || (int)p > RULE_PERIOD_MONTH)
        return -1;
    UErrorCode err = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)at_ms, &err);
    to_midnight(cal);
    if (p == RULE_PERIOD_WEEK) {
        int32_t dow = ucal_get(cal, UCAL_DAY_OF_WEEK, &err);
        ucal_add(cal, UCAL_DATE, -((dow - RULE_WEEK_FIRST_DAY + 7) % 7), &err);
    } else if (p == RULE_PERIOD_MONTH) {
        ucal_set(cal, UCAL_DATE, 1);
    }
    UDate from = ucal_getMillis(cal, &err);
    if (p == RULE_PERIOD_MONTH)
        ucal_add(cal, UCAL_MONTH, 1, &err);
    else
        ucal_add(cal, UCAL_DATE, p == RULE_PERIOD_WEEK ? 7 : 1, &err);
    to_midnight(cal);
    UDate to = ucal_getMillis(cal, &err);
    if (U_FAILURE(err) || to <= from)
        return -1;
    *from_ms = (int64_t)from;
    *to_ms = (int64_t)to;
    return 0;
}
