/* The segment filter language: a JSON tree of all / any / not over conditions on member fields, checked and
 * compiled into an SQL WHERE fragment over the members table with bound parameters (docs/segments.md).
 *
 * Invariant: no byte of the input becomes SQL text. Column names, operators and functions come from the fixed
 * field table in segment_filter.c; every value (numbers, text, attribute paths, times) is a parameter.
 * Pure: `now` and the club's time zone come from the caller. Called by the segment handlers and the store's
 * segment queries; unit-tested in tests/unit/test_segment_filter.c. */
#ifndef BASHGAH_SEGMENT_FILTER_H
#define BASHGAH_SEGMENT_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/errlist.h"

#define SEGMENT_FILTER_NODES_MAX 64    /* nodes (groups and conditions) in one tree */
#define SEGMENT_FILTER_DEPTH_MAX 8     /* nesting of all / any / not */
#define SEGMENT_FILTER_IN_MAX 100      /* values of one "in" list */
#define SEGMENT_FILTER_TEXT_MAX 256    /* bytes of one text value */
#define SEGMENT_FILTER_ATTR_NAME_MAX 64 /* bytes of an attribute's name in "attributes.<name>" */
#define SEGMENT_FILTER_DAYS_MAX 3660   /* within_days: ten years */
#define SEGMENT_FILTER_BIRTHDAY_DAYS_MAX 366

typedef enum segment_param_type { SEGMENT_PARAM_INT, SEGMENT_PARAM_REAL, SEGMENT_PARAM_TEXT } segment_param_type;

typedef struct segment_param {
    segment_param_type type;
    int64_t i;
    double r;
    char *text; /* owned, for SEGMENT_PARAM_TEXT */
} segment_param;

/* A compiled filter: where is a boolean SQL expression over the columns of members and of their aggregates
 * (member_stats, migration 0025), unqualified, with anonymous "?" parameters that take params[0..count) in order.
 * profile: it names a column of members; when false, member_stats alone answers it. */
typedef struct segment_sql {
    char *where; /* malloc'd, NUL-terminated */
    size_t len, cap;
    segment_param *params;
    int count, cap_params;
    bool profile;
} segment_sql;

typedef struct segment_context {
    int64_t now_ms;        /* "within_days" counts back (or, for birthdays, forward) from here */
    const char *time_zone; /* the club's zone: which day "today" is for birthdays */
} segment_context;

void segment_sql_init(segment_sql *s);
void segment_sql_release(segment_sql *s);

/* Checks filter and compiles it into out (initialised here; segment_sql_release it in every case). Errors go to
 * e, each naming the path of the bad node under `path` (e.g. "filter.all[2].op"). Returns e's error count. */
int segment_filter_compile(const json_t *filter, const char *path, const segment_context *ctx, segment_sql *out,
                           errlist *e);

/* One day-of-year range of birthdays in one calendar, as month * 100 + day (the column birthday_md). */
typedef struct segment_md_range {
    int from, to;
} segment_md_range;

/* The month-day ranges in calendar `cal` ("gregorian" | "persian") that fall within the next `days` days from
 * today in time zone tz (today included), at most two (a window over the new year splits). The last day of a
 * month stands for the days it lacks that year, so a 29 Feb (or 30 Esfand) birthday is found in other years.
 * Returns the number of ranges, or -1 when ICU cannot tell. */
int segment_birthday_ranges(const char *cal, const char *tz, int64_t now_ms, int days, segment_md_range out[2]);

#endif
