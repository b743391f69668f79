/*
 * email.c: e-mail address normalisation and checks (see email.h).
 *
 * Deliberately stricter than RFC 5322 (no quoted local parts, comments or IP-literal domains),
 * since an address here is for sending a newsletter to and for matching a member, and what
 * people type is what mail providers hand out. Invariant: out is written only after every check
 * has passed; each check is a small function with one message.
 */
#include "core/email.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "core/text.h"

#define EMAIL_LEN_MAX 254
#define EMAIL_LOCAL_LEN_MAX 64
#define EMAIL_LABEL_LEN_MAX 63
/* Longest raw input looked at: room for the address with generous surrounding white space. */
#define EMAIL_INPUT_MAX 1024

static int email_fail(const char **why, const char *message)
{
    if (why != NULL) {
        *why = message;
    }
    return -1;
}

/* Narrows [*start, *end) past leading and trailing Unicode white space (NBSP included). */
static void email_trim(const uint8_t *s, int32_t *start, int32_t *end)
{
    while (*start < *end) {
        int32_t i = *start;
        UChar32 c;
        U8_NEXT(s, i, *end, c);
        if (c < 0 || !u_isUWhiteSpace(c)) {
            break;
        }
        *start = i;
    }
    while (*end > *start) {
        int32_t i = *end;
        UChar32 c;
        U8_PREV(s, *start, i, c);
        if (c < 0 || !u_isUWhiteSpace(c)) {
            break;
        }
        *end = i;
    }
}

/* Characters RFC 5322 allows in a dot-atom besides letters and digits (no quotes, no specials). */
static bool email_local_char_ok(UChar32 c)
{
    if (c >= 0x80) {
        return u_isgraph(c); /* SMTPUTF8 local parts: any visible character */
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", (int)c) != NULL;
}

static const char *email_check_local(const uint8_t *s, int32_t n)
{
    if (n == 0) {
        return "needs a name before the @";
    }
    if (n > EMAIL_LOCAL_LEN_MAX) {
        return "has a name before the @ longer than 64 characters";
    }
    if (s[0] == '.' || s[n - 1] == '.') {
        return "cannot start or end with a dot before the @";
    }
    int32_t i = 0;
    UChar32 prev = 0;
    while (i < n) {
        UChar32 c;
        U8_NEXT(s, i, n, c);
        if (c < 0 || !email_local_char_ok(c)) {
            return "contains a character not allowed in an e-mail address";
        }
        if (c == '.' && prev == '.') {
            return "cannot contain two dots in a row";
        }
        prev = c;
    }
    return NULL;
}

/* Letters, combining marks (needed by many scripts) and digits; ZWNJ/ZWJ for Persian IDNs. */
static bool email_label_char_ok(UChar32 c)
{
    if (c < 0x80) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    }
    if (c == 0x200C || c == 0x200D) {
        return true;
    }
    int8_t t = u_charType(c);
    return u_isalpha(c) || u_isdigit(c) || t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK;
}

static const char *email_check_label(const uint8_t *s, int32_t n)
{
    if (n == 0) {
        return "has an empty part in the domain";
    }
    if (n > EMAIL_LABEL_LEN_MAX) {
        return "has a domain part longer than 63 characters";
    }
    if (s[0] == '-' || s[n - 1] == '-') {
        return "has a domain part that starts or ends with a hyphen";
    }
    int32_t i = 0;
    while (i < n) {
        UChar32 c;
        U8_NEXT(s, i, n, c);
        if (c < 0 || !email_label_char_ok(c)) {
            return "contains a character not allowed in a domain";
        }
    }
    return NULL;
}

static const char *email_check_domain(const uint8_t *s, int32_t n)
{
    if (n == 0) {
        return "needs a domain after the @";
    }
    if (memchr(s, '.', (size_t)n) == NULL) {
        return "needs a domain with a dot, such as example.com";
    }
    int32_t start = 0;
    for (int32_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            continue;
        }
        const char *why = email_check_label(s + start, i - start);
        if (why != NULL) {
            return why;
        }
        start = i + 1;
    }
    return NULL;
}

/* Checks the trimmed address s[0..n); NULL when it is acceptable. */
static const char *email_check(const uint8_t *s, int32_t n)
{
    if (n == 0) {
        return "is empty";
    }
    if (n > EMAIL_LEN_MAX) {
        return "is longer than 254 characters";
    }
    const uint8_t *at = memchr(s, '@', (size_t)n);
    if (at == NULL || memchr(at + 1, '@', (size_t)(n - (at + 1 - s))) != NULL) {
        return "must contain exactly one @";
    }
    int32_t local_len = (int32_t)(at - s);
    const char *why = email_check_local(s, local_len);
    if (why != NULL) {
        return why;
    }
    return email_check_domain(at + 1, n - local_len - 1);
}

int email_normalize(const char *in, size_t len, char *out, size_t cap, const char **why)
{
    if (out != NULL && cap > 0) {
        out[0] = '\0';
    }
    if (in == NULL || len > EMAIL_INPUT_MAX) {
        return email_fail(why, in == NULL ? "is empty" : "is longer than 254 characters");
    }
    /* Controls (and NUL) fail here, so the checks below see only printable UTF-8 and white space. */
    if (!text_valid_utf8(in, len)) {
        return email_fail(why, "contains a character not allowed in an e-mail address");
    }
    const uint8_t *s = (const uint8_t *)in;
    int32_t start = 0;
    int32_t end = (int32_t)len;
    email_trim(s, &start, &end);
    const char *problem = email_check(s + start, end - start);
    if (problem != NULL) {
        return email_fail(why, problem);
    }
    size_t n = (size_t)(end - start);
    if (out == NULL || n + 1 > cap) {
        return email_fail(why, "is longer than 254 characters");
    }
    for (size_t i = 0; i < n; i++) {
        char c = (char)s[start + (int32_t)i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
    return 0;
}
