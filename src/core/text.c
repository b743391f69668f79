/*
 * text.c: UTF-8 text helpers built on ICU's character properties (see text.h).
 *
 * Invariant: every writer here goes through text_put, which checks capacity before each code
 * point and always leaves room for the terminating NUL, so an output is either complete and
 * terminated or the call returns -1. Inputs are walked with ICU's U8_NEXT, which rejects
 * ill-formed UTF-8 (overlongs, surrogates, truncated sequences) by yielding a negative code point.
 */
#include "core/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/ucasemap.h>
#include <unicode/utf8.h>

/* Inputs longer than this cannot be walked with ICU's int32_t offsets. */
#define TEXT_LEN_MAX ((size_t)INT32_MAX - 1)
/* Folding copies the normalised text once; up to this size the copy lives on the stack. */
#define TEXT_FOLD_STACK_MAX 256

/* Appends code point c to out[*n], keeping one byte for the NUL. False when it does not fit. */
static bool text_put(char *out, size_t cap, size_t *n, UChar32 c)
{
    if (c >= 0 && c < 0x80) { /* most text: one byte, no encoding */
        if (*n + 2 > cap) {
            return false;
        }
        out[(*n)++] = (char)c;
        return true;
    }
    size_t need = (size_t)U8_LENGTH(c);
    if (need == 0 || *n + need + 1 > cap) {
        return false;
    }
    int32_t i = 0;
    uint8_t buf[U8_MAX_LENGTH];
    U8_APPEND_UNSAFE(buf, i, c);
    memcpy(out + *n, buf, need);
    *n += need;
    return true;
}

/* Terminates out and returns its length, or -1 when the length does not fit an int. */
static int text_finish(char *out, size_t n)
{
    out[n] = '\0';
    return n > (size_t)INT32_MAX ? -1 : (int)n;
}

static bool text_args_ok(const char *in, size_t len, const char *out, size_t cap)
{
    return (in != NULL || len == 0) && out != NULL && cap > 0 && len <= TEXT_LEN_MAX;
}

void text_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

bool text_valid_utf8(const char *s, size_t len)
{
    if ((s == NULL && len > 0) || len > TEXT_LEN_MAX) {
        return false;
    }
    const uint8_t *u = (const uint8_t *)s;
    int32_t i = 0;
    int32_t n = (int32_t)len;
    while (i < n) {
        if (u[i] >= 0x20 && u[i] < 0x80) { /* printable ASCII, most of any text: no decoding */
            i++;
            continue;
        }
        UChar32 c;
        U8_NEXT(u, i, n, c);
        if (c < 0) {
            return false;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            return false; /* NUL and the other C0 controls */
        }
    }
    return true;
}

/* ASCII's white space as u_isUWhiteSpace sees it (the White_Space property): tab to carriage return, and space. */
static bool text_ascii_space(UChar32 c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Maps a Unicode decimal digit (general category Nd) to its ASCII digit; other code points pass. */
static UChar32 text_ascii_digit(UChar32 c)
{
    if (c < 0x80 || !u_isdigit(c)) {
        return c;
    }
    int32_t v = u_charDigitValue(c);
    return (v >= 0 && v <= 9) ? (UChar32)('0' + v) : c;
}

int text_digits_to_ascii(const char *in, size_t len, char *out, size_t cap)
{
    if (!text_args_ok(in, len, out, cap)) {
        return -1;
    }
    const uint8_t *u = (const uint8_t *)in;
    int32_t i = 0;
    int32_t n = (int32_t)len;
    size_t w = 0;
    while (i < n) {
        UChar32 c;
        U8_NEXT(u, i, n, c);
        if (c < 0 || !text_put(out, cap, &w, text_ascii_digit(c))) {
            out[0] = '\0';
            return -1;
        }
    }
    return text_finish(out, w);
}

/* The Arabic letters that Persian keyboards and old data use where Persian ones are meant. */
static const struct {
    UChar32 from;
    UChar32 to;
} text_persian_letters[] = {
    {0x064A, 0x06CC}, /* ARABIC LETTER YEH -> FARSI YEH */
    {0x0649, 0x06CC}, /* ARABIC LETTER ALEF MAKSURA -> FARSI YEH */
    {0x0643, 0x06A9}, /* ARABIC LETTER KAF -> KEHEH */
};

static UChar32 text_persian_letter(UChar32 c)
{
    for (size_t k = 0; k < sizeof text_persian_letters / sizeof text_persian_letters[0]; k++) {
        if (text_persian_letters[k].from == c) {
            return text_persian_letters[k].to;
        }
    }
    return c;
}

int text_normalize_persian(const char *in, size_t len, char *out, size_t cap)
{
    if (!text_args_ok(in, len, out, cap)) {
        return -1;
    }
    const uint8_t *u = (const uint8_t *)in;
    int32_t i = 0;
    int32_t n = (int32_t)len;
    size_t w = 0;
    /* A space is written only once a following non-space arrives, so trailing runs vanish and
     * leading runs (w == 0) are never pending. */
    bool space_pending = false;
    while (i < n) {
        UChar32 c;
        U8_NEXT(u, i, n, c);
        if (c < 0) {
            out[0] = '\0';
            return -1;
        }
        if (c < 0x80 ? text_ascii_space(c) : u_isUWhiteSpace(c)) {
            space_pending = w > 0;
            continue;
        }
        if (space_pending && !text_put(out, cap, &w, ' ')) {
            out[0] = '\0';
            return -1;
        }
        space_pending = false;
        if (!text_put(out, cap, &w, c < 0x80 ? c : text_persian_letter(text_ascii_digit(c)))) {
            out[0] = '\0';
            return -1;
        }
    }
    return text_finish(out, w);
}

/* Lowercases src[0..n) into out with ICU's root-locale full case mapping. */
static int text_lower_icu(const char *src, size_t n, char *out, size_t cap)
{
    UErrorCode err = U_ZERO_ERROR;
    UCaseMap *map = ucasemap_open("", 0, &err);
    if (U_FAILURE(err)) {
        return -1;
    }
    int32_t dest_cap = cap > (size_t)INT32_MAX ? INT32_MAX : (int32_t)cap;
    int32_t got = ucasemap_utf8ToLower(map, out, dest_cap, src, (int32_t)n, &err);
    ucasemap_close(map);
    /* got == dest_cap means no room was left for the NUL. */
    if (U_FAILURE(err) || got < 0 || got >= dest_cap) {
        out[0] = '\0';
        return -1;
    }
    return text_finish(out, (size_t)got);
}

int text_fold_for_search(const char *in, size_t len, char *out, size_t cap)
{
    int n = text_normalize_persian(in, len, out, cap);
    if (n < 0) {
        return -1;
    }
    bool ascii = true;
    for (int k = 0; k < n; k++) {
        if ((unsigned char)out[k] >= 0x80) {
            ascii = false;
        } else if (out[k] >= 'A' && out[k] <= 'Z') {
            out[k] = (char)(out[k] - 'A' + 'a');
        }
    }
    if (ascii) {
        return n; /* ASCII lowercasing is done in place: the common case stays cheap */
    }
    /* ICU cannot map in place, so lowercase from a copy of the normalised text. */
    char stack[TEXT_FOLD_STACK_MAX];
    char *copy = (size_t)n <= sizeof stack ? stack : malloc((size_t)n);
    if (copy == NULL) {
        out[0] = '\0';
        return -1;
    }
    memcpy(copy, out, (size_t)n);
    int r = text_lower_icu(copy, (size_t)n, out, cap);
    if (copy != stack) {
        free(copy);
    }
    return r;
}
