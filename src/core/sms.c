/* SMS segment counting (see sms.h). Pure: callers are the SMS channel (the cost of a message) and the API (the
 * length of a text before it is queued). */
#include "core/sms.h"

#include <stddef.h>
#include <stdint.h>

#define GSM_SINGLE 160
#define GSM_PART 153
#define UCS2_SINGLE 70
#define UCS2_PART 67

/* The GSM 03.38 basic alphabet beyond ASCII letters and digits, as code points. */
static const uint32_t gsm_basic[] = {
    '@', 0xA3, '$', 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, '\n', 0xD8, 0xF8, '\r', 0xC5, 0xE5,
    0x394, '_', 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, 0xC6, 0xE6, 0xDF, 0xC9,
    ' ', '!', '"', '#', 0xA4, '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', ':', ';', '<', '=',
    '>', '?', 0xA1, 0xC4, 0xD6, 0xD1, 0xDC, 0xA7, 0xBF, 0xE4, 0xF6, 0xF1, 0xFC, 0xE0,
};
/* The extension table: each costs an escape septet and its own. */
static const uint32_t gsm_ext[] = {'\f', '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC};

static bool listed(uint32_t c, const uint32_t *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == c)
            return true;
    return false;
}

/* Septets of c in GSM-7: 1, 2 (extension) or 0 when c has none. */
static int gsm_septets(uint32_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    if (listed(c, gsm_basic, sizeof(gsm_basic) / sizeof(gsm_basic[0])))
        return 1;
    return listed(c, gsm_ext, sizeof(gsm_ext) / sizeof(gsm_ext[0])) ? 2 : 0;
}

/* Decodes the code point at *p and moves past it; -1 on invalid UTF-8. */
static int64_t next_code_point(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t c;
    int more;
    if (s[0] < 0x80) {
        c = s[0];
        more = 0;
    } else if ((s[0] & 0xE0) == 0xC0 && s[0] >= 0xC2) {
        c = s[0] & 0x1F;
        more = 1;
    } else if ((s[0] & 0xF0) == 0xE0) {
        c = s[0] & 0x0F;
        more = 2;
    } else if ((s[0] & 0xF8) == 0xF0 && s[0] <= 0xF4) {
        c = s[0] & 0x07;
        more = 3;
    } else {
        return -1;
    }
    for (int i = 1; i <= more; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((more == 2 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) || (more == 3 && (c < 0x10000 || c > 0x10FFFF)))
        return -1;
    *p = s + more + 1;
    return c;
}

/* Parts needed for items of the given sizes (1 or 2 units each) when one part holds single units alone or part
 * units per part of many, an item never split. */
static int parts_of(const unsigned char *text, bool ucs2, int total, int single, int part)
{
    if (total == 0)
        return 0;
    if (total <= single)
        return 1;
    int parts = 1, used = 0;
    for (const unsigned char *p = text; *p;) {
        int64_t c = next_code_point(&p);
        int size = ucs2 ? (c >= 0x10000 ? 2 : 1) : gsm_septets((uint32_t)c);
        if (used + size > part) {
            parts++;
            used = 0;
        }
        used += size;
    }
    return parts;
}

int sms_count_text(const char *text, sms_count *out)
{
    const unsigned char *p = (const unsigned char *)text;
    int septets = 0, utf16 = 0;
    bool gsm = true;
    while (*p) {
        int64_t c = next_code_point(&p);
        if (c < 0)
            return -1;
        int s = gsm_septets((uint32_t)c);
        if (s == 0)
            gsm = false;
        septets += s;
        utf16 += c >= 0x10000 ? 2 : 1;
    }
    out->ucs2 = !gsm;
    out->units = gsm ? septets : utf16;
    out->segments = gsm ? parts_of((const unsigned char *)text, false, septets, GSM_SINGLE, GSM_PART)
                        : parts_of((const unsigned char *)text, true, utf16, UCS2_SINGLE, UCS2_PART);
    return 0;
}
