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

#endif
