/* JSON text straight into a buffer (see jsonbuf.h). Out of memory aborts, as everywhere else. */
#include "core/jsonbuf.h"

#include <stdlib.h>
#include <string.h>

#define JSONBUF_START 512

static void reserve(jsonbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : JSONBUF_START;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *t = realloc(b->text, cap);
    if (!t)
        abort(); /* out of memory */
    b->text = t;
    b->cap = cap;
}

static void put(jsonbuf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
}

void jsonbuf_init(jsonbuf *b) { memset(b, 0, sizeof(*b)); }

void jsonbuf_release(jsonbuf *b)
{
    free(b->text);
    jsonbuf_init(b);
}

char *jsonbuf_take(jsonbuf *b)
{
    reserve(b, 0);
    char *t = b->text;
    jsonbuf_init(b);
    return t;
}

void jsonbuf_raw(jsonbuf *b, const char *s) { put(b, s, strlen(s)); }

void jsonbuf_str(jsonbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!s) {
        put(b, "null", 4);
        return;
    }
    put(b, "\"", 1);
    const char *run = s;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue;
        put(b, run, (size_t)((const char *)p - run));
        char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
        size_t n = 6;
        switch (*p) {
        case '"': esc[1] = '"'; n = 2; break;
        case '\\': esc[1] = '\\'; n = 2; break;
        case '\b': esc[1] = 'b'; n = 2; break;
        case '\f': esc[1] = 'f'; n = 2; break;
        case '\n': esc[1] = 'n'; n = 2; break;
        case '\r': esc[1] = 'r'; n = 2; break;
        case '\t': esc[1] = 't'; n = 2; break;
        default: break;
        }
        put(b, esc, n);
        run = (const char *)p + 1;
    }
    put(b, run, strlen(run));
    put(b, "\"", 1);
}

void jsonbuf_int(jsonbuf *b, int64_t v)
{
    char digits[24];
    int i = sizeof(digits);
    /* Negated in unsigned arithmetic, so INT64_MIN prints too. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[--i] = '-';
    put(b, digits + i, sizeof(digits) - (size_t)i);
}

bool jsonbuf_is_compact(const char *s, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                return false; /* jansson may write it otherwise: \/ as /, \u00e9 as the letter */
            in_string = c != '"';
        } else if (c == '"') {
            in_string = true;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '.' || c == 'e' || c == 'E' ||
                   (c == '-' && i + 1 < len && s[i + 1] == '0')) {
            return false; /* white space; a real (written back with up to 17 digits); -0 (written back as 0) */
        }
    }
    return true;
}
