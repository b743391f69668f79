/* Report periods: days, weeks and months in the club's time zone and calendar (a Jalali month for "persian"),
 * as [start, end) instants in ms. Weeks start on Saturday in the persian calendar, on Monday (ISO) in the
 * gregorian. Pure but for ICU's data; called by the key-figure handlers (src/http/reports.c). */
#ifndef BASHGAH_PERIODS_H
#define BASHGAH_PERIODS_H

#include <stdint.h>

#include "core/calendar.h"

typedef enum periods_unit { PERIODS_DAY, PERIODS_WEEK, PERIODS_MONTH } periods_unit;

#define PERIODS_MAX 400 /* buckets in one series: a year of days, eight years of weeks */

/* "day" | "week" | "month" into *out; 0, or -1 for anything else. */
int periods_from_name(const char *name, periods_unit *out);
const char *periods_name(periods_unit u);

/* The periods that hold any instant in [from, to): starts[0..*n] (n + 1 bounds: period i is [starts[i],
 * starts[i + 1])), at most cap periods. labels[i] names period i in the calendar ("1404-12" for a month,
 * "1404-12-10" for a day or a week's first day), each 16 bytes. 0, or -1 for a bad zone or too many periods. */
int periods_split(calendar_kind k, const char *tz, periods_unit u, int64_t from, int64_t to, int64_t *starts,
                  char (*labels)[16], int cap, int *n);

/* A budget period named as people write it in calendar k: "1404" (a year) or "1404-01" (a month, 01..12), ASCII
 * digits, year 1..9999. Its [*from, *to) in ms in zone tz into from and to; *unit_out (when not NULL) says which.
 * 0, or -1 with *why (a static English message) for text that is not such a period or a bad zone. */
int periods_parse(calendar_kind k, const char *tz, const char *label, int64_t *from, int64_t *to,
                  calendar_unit *unit_out, const char **why);

#endif
