/* Timestamps as the API writes them: RFC 3339 in UTC with milliseconds, e.g. 2026-11-25T16:47:45.123Z. */
#ifndef BASHGAH_TIMEFMT_H
#define BASHGAH_TIMEFMT_H

#include <jansson.h>
#include <stdint.h>

#define TIMEFMT_LEN 64

/* Writes ms (since the Unix epoch) into out, which holds TIMEFMT_LEN bytes. */
void timefmt_rfc3339(int64_t ms, char out[TIMEFMT_LEN]);
/* The time as a JSON string in that form, or JSON null for 0 (no time). New reference. */
json_t *timefmt_json(int64_t ms);
/* Parses "YYYY-MM-DD" (midnight UTC) or an RFC 3339 time with Z or an offset. 0, or -1 when it is not one. */
int timefmt_parse(const char *s, int64_t *ms);

#endif
