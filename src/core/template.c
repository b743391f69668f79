/* Message templates (see template.h). One scanner serves both checking and rendering, so what passes the check is
 * exactly what renders. Callers: http/broadcasts.c (checks on the loop thread, renders per member on the writer). */
#include "core/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"

const char *const template_names[] = {"given_name", "family_name", "points", "tier", "date", NULL};

static bool known(const char *name)
{
    for (int i = 0; template_names[i]; i++)
        if (strcmp(name, template_names[i]) == 0)
            return true;
    return false;
}

/* Reads the placeholder whose '{' is at p into name; returns its length through '}' or 0 when there is none. */
static size_t placeholder(const char *p, char name[TEMPLATE_NAME_MAX + 1])
{
    const char *close = strchr(p + 1, '}');
    size_t len = close ? (size_t)(close - p - 1) : 0;
    if (!close || len == 0 || len > TEMPLATE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[1 + i];
        if (!((c >= 'a' && c <= 'z') || c == '_'))
            return 0;
    }
    memcpy(name, p + 1, len);
    name[len] = '\0';
    return len + 2;
}

int template_check(const char *text, const char *field, errlist *e)
{
    int before = e->count;
    char name[TEMPLATE_NAME_MAX + 1];
    for (const char *p = text; *p; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
            continue;
        }
        if (*p == '}') {
            errlist_add(e, field, "has a } without its {: write }} for a brace");
            continue;
        }
        if (*p != '{')
            continue;
        size_t len = placeholder(p, name);
        if (len == 0) {
            errlist_add(e, field, "has a { that does not start a {variable}: write {{ for a brace");
            const char *close = strchr(p + 1, '}');
            if (close)
                p = close; /* one error for the whole {...} */
            continue;
        }
        if (!known(name))
            errlist_add(e, field, "uses {%s}, which is not a variable (known: given_name, family_name, points, tier)",
                        name);
        p += len - 1;
    }
    return e->count - before;
}

typedef struct buf {
    char *s;
    size_t len;
    bool over;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->over || b->len + n > TEMPLATE_OUT_MAX) {
        b->over = true;
        return;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
}

static void put_escaped(buf *b, const char *s, bool html)
{
    for (; *s; s++) {
        const char *rep = NULL;
        if (html)
            rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;"
                  : *s == '\'' ? "&#39;" : NULL;
        put(b, rep ? rep : s, rep ? strlen(rep) : 1);
    }
}

char *template_render(const char *text, const template_var *vars, int n, bool html)
{
    buf b = {malloc(TEMPLATE_OUT_MAX + 1), 0, false};
    if (!b.s)
        abort(); /* out of memory */
    char name[TEMPLATE_NAME_MAX + 1];
    for (const char *p = text; *p && !b.over; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            put(&b, p++, 1);
            continue;
        }
        size_t len = *p == '{' ? placeholder(p, name) : 0;
        if (len == 0) {
            put(&b, p, 1);
            continue;
        }
        for (int i = 0; i < n; i++)
            if (strcmp(vars[i].name, name) == 0)
                put_escaped(&b, vars[i].value ? vars[i].value : "", html);
        p += len - 1;
    }
    if (b.over) {
        free(b.s);
        return NULL;
    }
    b.s[b.len] = '\0';
    return b.s;
}

/* Appends s to out (of size cap, holding *o bytes) when it fits whole. */
static void append(char *out, size_t cap, size_t *o, const char *s)
{
    size_t n = strlen(s);
    if (*o + n + 1 > cap)
        return;
    memcpy(out + *o, s, n + 1);
    *o += n;
}

void template_number(int64_t n, const char *locale, char *out, size_t cap)
{
    static const char *const fa_digits[] = {"۰", "۱", "۲", "۳", "۴", "۵", "۶", "۷", "۸", "۹"};
    bool fa = locale && strcmp(locale, "fa") == 0;
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    char ascii[32];
    snprintf(ascii, sizeof(ascii), "%llu", u);
    size_t len = strlen(ascii), o = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    if (n < 0)
        append(out, cap, &o, fa ? "\u2212" : "-");
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            append(out, cap, &o, fa ? "٬" : ",");
        char digit[2] = {ascii[i], '\0'};
        append(out, cap, &o, fa ? fa_digits[ascii[i] - '0'] : digit);
    }
}

void template_date(int64_t at_ms, const char *tz, const char *locale, char *out, size_t cap)
{
    static const char *const fa_months[] = {"فروردین", "اردیبهشت", "خرداد", "تیر",   "مرداد", "شهریور",
                                            "مهر",     "آبان",     "آذر",   "دی",    "بهمن",  "اسفند"};
    static const char *const en_months[] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};
    bool fa = locale && strcmp(locale, "fa") == 0;
    calendar_kind k = fa ? CALENDAR_PERSIAN : CALENDAR_GREGORIAN;
    int y, m, d;
    if (cap == 0)
        return;
    out[0] = '\0';
    if (calendar_local_date(k, tz, at_ms, &y, &m, &d) != 0 && calendar_local_date(k, "UTC", at_ms, &y, &m, &d) != 0)
        return;
    char day[32], year[32];
    if (fa) { /* digits without grouping: a year is not a quantity */
        template_number(d, "fa", day, sizeof(day));
        char ascii[16];
        snprintf(ascii, sizeof(ascii), "%d", y);
        size_t o = 0;
        year[0] = '\0';
        for (const char *c = ascii; *c && o < sizeof(year); c++) {
            template_number(*c - '0', "fa", year + o, sizeof(year) - o);
            o = strlen(year);
        }
        snprintf(out, cap, "%s %s %s", day, fa_months[m - 1], year);
    } else {
        snprintf(out, cap, "%d %s %d", d, en_months[m - 1], y);
    }
}
