/* RFC 3339 formatting and parsing, UTC. */
#include "core/timefmt.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's days_from_civil inverse),
 * exact over the whole int64 range of days that ms/1000/86400 can give. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                         /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;    /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                       /* [0, 11], from March */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static char *two_digits(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* Computed rather than through gmtime_r: glibc's gmtime_r takes the process-wide time zone lock, and every
 * JSON answer writes several times. */
void timefmt_rfc3339(int64_t ms, char out[TIMEFMT_LEN])
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int millis = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int sod = (int)(secs - days * 86400), month, mday;
    int64_t year;
    civil_from_days(days, &year, &month, &mday);
    if (year < 0 || year > 9999) { /* %04d widens or signs these; the common case below does not */
        snprintf(out, TIMEFMT_LEN, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)year, month, mday, sod / 3600,
                 sod / 60 % 60, sod % 60, millis);
        return;
    }
    char *p = out;
    p = two_digits(p, (int)(year / 100));
    p = two_digits(p, (int)(year % 100));
    *p++ = '-';
    p = two_digits(p, month);
    *p++ = '-';
    p = two_digits(p, mday);
    *p++ = 'T';
    p = two_digits(p, sod / 3600);
    *p++ = ':';
    p = two_digits(p, sod / 60 % 60);
    *p++ = ':';
    p = two_digits(p, sod % 60);
    *p++ = '.';
    *p++ = (char)('0' + millis / 100);
    p = two_digits(p, millis % 100);
    *p++ = 'Z';
    *p = '\0';
}

/* Reads exactly n ASCII digits at s. */
static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int timefmt_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
        return -1;
    const char *p = s + 10;
    int64_t frac = 0, offset_min = 0;
    if (*p == 'T' || *p == 't') {
        if (!digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi) || p[6] != ':' || !digits(p + 7, 2, &sec))
            return -1;
        p += 9;
        if (*p == '.') {
            int n = 0;
            for (p++; *p >= '0' && *p <= '9'; p++, n++)
                if (n < 3)
                    frac = frac * 10 + (*p - '0');
            if (n == 0)
                return -1;
            for (; n < 3; n++)
                frac *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
                return -1;
            offset_min = (oh * 60 + om) * (*p == '+' ? 1 : -1);
            p += 6;
        } else {
            return -1;
        }
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (tm.tm_mday != d)
        return -1; /* timegm normalised an impossible day such as 02-30 */
    *ms = ((int64_t)t - offset_min * 60) * 1000 + frac;
    return 0;
}

json_t *timefmt_json(int64_t ms)
{
    char buf[TIMEFMT_LEN];
    if (ms == 0)
        return json_null();
    timefmt_rfc3339(ms, buf);
    return json_string(buf);
}
