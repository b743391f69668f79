/* SMS segment counting. A text made only of the GSM 03.38 alphabet goes as 7-bit septets: 160 in one message, 153
 * per part of a longer one (a part's header takes the rest), a character of the extension table (such as { or €)
 * costing two and never split across parts. Anything else, Persian included, goes as UCS-2 (UTF-16 units): 70 in
 * one message, 67 per part, a surrogate pair never split. The gateway bills per part, so the cost is per part. */
#ifndef BASHGAH_CORE_SMS_H
#define BASHGAH_CORE_SMS_H

#include <stdbool.h>

typedef struct sms_count {
    bool ucs2;    /* false: GSM-7 */
    int units;    /* septets (GSM-7) or UTF-16 units (UCS-2) */
    int segments; /* parts the text is sent in; 0 for an empty text */
} sms_count;

/* Counts text (UTF-8). Returns 0, or -1 when text is not valid UTF-8. */
int sms_count_text(const char *text, sms_count *out);

#endif
