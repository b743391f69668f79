/* The member's JSON form as text: member_json_text writes what json_dumps(member_to_json(m), JSON_COMPACT)
 * would, without building the jansson tree (the GET path answers one member per request), and
 * member_attributes_text_ok tells which stored attributes text may be copied into it as it is. Invariant: the
 * text and the tree never disagree; where they could (text jansson refuses) the writer gives up. */
#include "core/member.h"

#include <stdio.h>
#include <string.h>

#include "core/timefmt.h"

/* ---- member_json_text ----
 * The same bytes json_dumps(member_to_json(m), JSON_COMPACT) gives, in the same key order with the same escapes
 * (jansson 2.14's dump_string: \" \\ \b \f \n \r \t, other controls as \u00XX, everything else as it is).
 * Where the tree would drop a field (jansson refuses text that is not UTF-8, so member_to_json leaves that key
 * out) the writer gives up and the caller uses the tree; tests/unit/test_member_json.c holds the two to each
 * other. */

typedef struct jtext {
    char *buf;
    size_t cap, len; /* len counts what does not fit too, as snprintf does */
    bool bad;        /* text jansson would refuse */
} jtext;

static void jt_put(jtext *w, const char *s, size_t n)
{
    if (w->len < w->cap)
        memcpy(w->buf + w->len, s, w->len + n <= w->cap ? n : w->cap - w->len);
    w->len += n;
}

#define JT_LIT(w, lit) jt_put((w), (lit), sizeof(lit) - 1)

static void jt_int(jtext *w, int64_t v)
{
    char tmp[24], *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    jt_put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* The length of the UTF-8 sequence at s (at most n bytes, never past a NUL) if jansson's utf8_check_full accepts
 * it, else 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t size = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (size == 0 || size > n)
        return 0;
    uint32_t v = c & (size == 2 ? 0x1F : size == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < size; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (size == 3 && v < 0x800) || (size == 4 && v < 0x10000))
        return 0;
    return size;
}

static void jt_string(jtext *w, const char *str)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str, *run = s;
    JT_LIT(w, "\"");
    while (*s) {
        if (*s >= 0x80) {
            size_t n = utf8_sequence(s, 4); /* stops at the NUL: it is no continuation byte */
            if (n == 0) {
                w->bad = true;
                return;
            }
            s += n;
            continue;
        }
        if (*s != '"' && *s != '\\' && *s >= 0x20) {
            s++;
            continue;
        }
        jt_put(w, (const char *)run, (size_t)(s - run));
        char esc[6] = {'\\', 0, '0', '0', hex[*s >> 4], hex[*s & 15]};
        size_t len = 2;
        switch (*s) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: esc[1] = 'u'; len = 6; break;
        }
        jt_put(w, esc, len);
        run = ++s;
    }
    jt_put(w, (const char *)run, (size_t)(s - run));
    JT_LIT(w, "\"");
}

/* "key": as jansson writes an object key (ours are plain ASCII): after a comma, or after the brace that opens
 * the object when first. */
#define jt_key(w, lit, first)                                                                                  \
    do {                                                                                                       \
        if (first)                                                                                             \
            JT_LIT((w), "{\"" lit "\":");                                                                    \
        else                                                                                                   \
            JT_LIT((w), ",\"" lit "\":");                                                                    \
    } while (0)

static void jt_text_or_null(jtext *w, const char *s)
{
    if (s[0])
        jt_string(w, s);
    else
        JT_LIT(w, "null");
}

static void jt_time(jtext *w, int64_t ms)
{
    if (ms == 0) {
        JT_LIT(w, "null");
        return;
    }
    char at[TIMEFMT_LEN];
    timefmt_rfc3339(ms, at);
    jt_string(w, at);
}

static void jt_bool(jtext *w, bool v)
{
    if (v)
        JT_LIT(w, "true");
    else
        JT_LIT(w, "false");
}

static void jt_attributes(jtext *w, const member *m, const char *text)
{
    if (m->erased_at || (!m->attributes && !text)) {
        JT_LIT(w, "null");
        return;
    }
    if (text) {
        jt_put(w, text, strlen(text));
        return;
    }
    size_t room = w->len < w->cap ? w->cap - w->len : 0;
    size_t n = json_dumpb(m->attributes, room ? w->buf + w->len : NULL, room, JSON_COMPACT);
    if (n == 0)
        w->bad = true; /* json_dumps fails on the whole member then */
    w->len += n;
}

/* "YYYY-MM-DD" as member_to_json's snprintf("%04d-%02d-%02d") writes it. */
static void jt_birthday(jtext *w, const member *m)
{
    int y = m->birthday_y, mo = m->birthday_m, d = m->birthday_d;
    char date[48];
    if (y < 0 || y > 9999 || mo < 0 || mo > 99 || d < 0 || d > 99) {
        snprintf(date, sizeof(date), "%04d-%02d-%02d", y, mo, d);
        jt_string(w, date);
        return;
    }
    char *p = date;
    *p++ = '"';
    *p++ = (char)('0' + y / 1000), *p++ = (char)('0' + y / 100 % 10);
    *p++ = (char)('0' + y / 10 % 10), *p++ = (char)('0' + y % 10);
    *p++ = '-', *p++ = (char)('0' + mo / 10), *p++ = (char)('0' + mo % 10);
    *p++ = '-', *p++ = (char)('0' + d / 10), *p++ = (char)('0' + d % 10);
    *p++ = '"';
    jt_put(w, date, (size_t)(p - date));
}

/* From "id" to "kind". */
static void jt_person(jtext *w, const member *m)
{
    jt_key(w, "id", true);
    jt_int(w, m->id);
    jt_key(w, "external_ref", false);
    jt_text_or_null(w, m->external_ref);
    jt_key(w, "given_name", false);
    jt_text_or_null(w, m->given_name);
    jt_key(w, "family_name", false);
    jt_text_or_null(w, m->family_name);
    jt_key(w, "phone", false);
    jt_text_or_null(w, m->phone);
    jt_key(w, "email", false);
    jt_text_or_null(w, m->email);
    jt_key(w, "birthday", false);
    if (m->has_birthday) {
        jt_key(w, "date", true);
        jt_birthday(w, m);
        jt_key(w, "calendar", false);
        jt_string(w, calendar_name(m->birthday_calendar));
        JT_LIT(w, "}");
    } else {
        JT_LIT(w, "null");
    }
    jt_key(w, "time_zone", false);
    jt_string(w, m->time_zone);
    jt_key(w, "locale", false);
    jt_string(w, m->locale);
    jt_key(w, "kind", false);
    jt_string(w, member_kind_name(m->kind));
}

/* From "consent" to "erased_at". */
static void jt_consent_and_times(jtext *w, const member *m, const char *attributes_text)
{
    jt_key(w, "consent", false);
    jt_key(w, "email", true);
    jt_bool(w, m->consent_email);
    jt_key(w, "sms", false);
    jt_bool(w, m->consent_sms);
    JT_LIT(w, "}");
    jt_key(w, "consent_at", false);
    jt_key(w, "email", true);
    jt_time(w, m->consent_email_at);
    jt_key(w, "sms", false);
    jt_time(w, m->consent_sms_at);
    JT_LIT(w, "}");
    jt_key(w, "attributes", false);
    jt_attributes(w, m, attributes_text);
    jt_key(w, "created_at", false);
    jt_time(w, m->created_at);
    jt_key(w, "updated_at", false);
    jt_time(w, m->updated_at);
    jt_key(w, "erased_at", false);
    jt_time(w, m->erased_at);
}

/* "points", "aggregates", "tier", "class", "class_since", "rfm" and "value". */
static void jt_stats(jtext *w, const struct member_stats *st)
{
    jt_key(w, "points", false);
    jt_key(w, "available", true);
    jt_int(w, st->points_available);
    jt_key(w, "pending", false);
    jt_int(w, st->points_pending);
    jt_key(w, "lifetime", false);
    jt_int(w, st->points_lifetime);
    JT_LIT(w, "}");
    jt_key(w, "aggregates", false);
    jt_key(w, "purchase_count", true);
    jt_int(w, st->purchase_count);
    jt_key(w, "total_spent", false);
    jt_int(w, st->total_spent_minor);
    jt_key(w, "last_purchase_at", false);
    jt_time(w, st->last_purchase_at);
    JT_LIT(w, "}");
    jt_key(w, "tier", false);
    if (st->tier_id) {
        jt_key(w, "id", true);
        jt_int(w, st->tier_id);
        jt_key(w, "name_en", false);
        jt_string(w, st->tier_name_en);
        jt_key(w, "name_fa", false);
        jt_string(w, st->tier_name_fa);
        jt_key(w, "since", false);
        jt_time(w, st->tier_since);
        jt_key(w, "review_at", false);
        jt_time(w, st->tier_review_at);
        JT_LIT(w, "}");
    } else {
        JT_LIT(w, "null");
    }
    /* classes, RFM and value (src/app/classes.c, docs/classes.md) */
    jt_key(w, "class", false);
    jt_string(w, st->class_name[0] ? st->class_name : "prospect");
    jt_key(w, "class_since", false);
    jt_time(w, st->class_since);
    jt_key(w, "rfm", false);
    if (st->rfm_r && st->rfm_f && st->rfm_m) {
        jt_key(w, "r", true);
        jt_int(w, st->rfm_r);
        jt_key(w, "f", false);
        jt_int(w, st->rfm_f);
        jt_key(w, "m", false);
        jt_int(w, st->rfm_m);
        JT_LIT(w, "}");
    } else {
        JT_LIT(w, "null");
    }
    jt_key(w, "value", false);
    if (st->has_value)
        jt_int(w, st->value_minor);
    else
        JT_LIT(w, "null");
}

long member_json_text(const member *m, const char *attributes_text, char *buf, size_t cap)
{
    jtext w = {buf, cap, 0, false};
    jt_person(&w, m);
    jt_consent_and_times(&w, m, attributes_text);
    jt_stats(&w, &m->stats);
    JT_LIT(&w, "}");
    if (w.bad)
        return -1;
    if (cap > 0)
        buf[w.len < cap ? w.len : cap - 1] = '\0';
    return (long)w.len;
}

/* ---- member_attributes_text_ok: stored attributes that may be copied as they are ----
 * Attributes are stored as json_dumps(object, JSON_COMPACT) writes them. Parsing that text and dumping it again
 * gives it back byte for byte when it is in that form: no whitespace, strings escaped exactly as jansson escapes
 * them (and valid UTF-8 with no NUL, which json_loads refuses), integers within json_int_t, no key twice in an
 * object (json_loads keeps one). Reals are not accepted (whether "%.17g" gives them back is not checked here),
 * nor nesting deeper than ATTR_DEPTH_MAX or objects with more than ATTR_KEYS_MAX keys: those take the parse. */

#define ATTR_DEPTH_MAX 16
#define ATTR_KEYS_MAX 64

typedef struct attr_scan {
    const unsigned char *p;
    int depth;
} attr_scan;

static bool attr_value(attr_scan *c);

/* An escape as jansson's dump_string writes it: \" \\ \b \f \n \r \t, other controls but NUL as \u00XX. */
static size_t attr_escape(const unsigned char *p)
{
    static const char short_escapes[] = "\"\\bfnrt";
    if (p[1] != 'u')
        return p[1] && strchr(short_escapes, p[1]) ? 2 : 0;
    if (p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1')) /* each test stops at the NUL */
        return 0;
    int lo = p[5] >= '0' && p[5] <= '9' ? p[5] - '0' : p[5] >= 'A' && p[5] <= 'F' ? p[5] - 'A' + 10 : -1;
    if (lo < 0)
        return 0;
    int v = (p[4] - '0') * 16 + lo;
    return v == 0 || v == '\b' || v == '\t' || v == '\n' || v == '\f' || v == '\r' ? 0 : 6;
}

/* A string; its raw bytes between the quotes in *start, *len. */
static bool attr_string(attr_scan *c, const unsigned char **start, size_t *len)
{
    if (*c->p != '"')
        return false;
    *start = ++c->p;
    while (*c->p != '"') {
        size_t n = *c->p < 0x20 ? 0 : *c->p == '\\' ? attr_escape(c->p) : *c->p >= 0x80 ? utf8_sequence(c->p, 4) : 1;
        if (n == 0)
            return false;
        c->p += n;
    }
    *len = (size_t)(c->p++ - *start);
    return true;
}

/* An integer as "%lld" writes it. */
static bool attr_integer(attr_scan *c)
{
    bool negative = *c->p == '-';
    const unsigned char *digits = c->p + negative;
    c->p = digits;
    while (*c->p >= '0' && *c->p <= '9')
        c->p++;
    size_t n = (size_t)(c->p - digits);
    if (n == 0 || (digits[0] == '0' && (n > 1 || negative)) || *c->p == '.' || *c->p == 'e' || *c->p == 'E')
        return false;
    const char *limit = negative ? "9223372036854775808" : "9223372036854775807";
    return n < 19 || (n == 19 && memcmp(digits, limit, 19) <= 0);
}

static bool attr_object(attr_scan *c)
{
    const unsigned char *key[ATTR_KEYS_MAX];
    size_t key_len[ATTR_KEYS_MAX];
    int keys = 0;
    c->p++;
    if (*c->p == '}') {
        c->p++;
        return true;
    }
    for (;;) {
        if (keys == ATTR_KEYS_MAX || !attr_string(c, &key[keys], &key_len[keys]))
            return false;
        for (int i = 0; i < keys; i++)
            if (key_len[i] == key_len[keys] && memcmp(key[i], key[keys], key_len[i]) == 0)
                return false;
        keys++;
        if (*c->p++ != ':' || !attr_value(c))
            return false;
        if (*c->p == '}') {
            c->p++;
            return true;
        }
        if (*c->p++ != ',')
            return false;
    }
}

static bool attr_array(attr_scan *c)
{
    c->p++;
    if (*c->p == ']') {
        c->p++;
        return true;
    }
    for (;;) {
        if (!attr_value(c))
            return false;
        if (*c->p == ']') {
            c->p++;
            return true;
        }
        if (*c->p++ != ',')
            return false;
    }
}

static bool attr_word(attr_scan *c, const char *word)
{
    size_t n = strlen(word);
    if (strncmp((const char *)c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool attr_value(attr_scan *c)
{
    const unsigned char *s;
    size_t n;
    if (*c->p != '{' && *c->p != '[')
        return *c->p == '"' ? attr_string(c, &s, &n)
               : *c->p == 't' ? attr_word(c, "true")
               : *c->p == 'f' ? attr_word(c, "false")
               : *c->p == 'n' ? attr_word(c, "null")
                              : attr_integer(c);
    if (++c->depth > ATTR_DEPTH_MAX)
        return false;
    bool ok = *c->p == '{' ? attr_object(c) : attr_array(c);
    c->depth--;
    return ok;
}

bool member_attributes_text_ok(const char *text)
{
    attr_scan c = {(const unsigned char *)text, 0};
    return text && text[0] == '{' && attr_value(&c) && *c.p == '\0';
}
