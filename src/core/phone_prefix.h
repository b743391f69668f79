/* Search by phone: turns what staff type into the start of an E.164 number ("0912" with region IR gives
 * "+98912"), so a prefix range over stored phones finds the member. */
#ifndef BASHGAH_PHONE_PREFIX_H
#define BASHGAH_PHONE_PREFIX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Keeps digits (any script, as ASCII) and a leading +; "00" becomes "+", a leading 0 the region's calling code,
 * other digits are read as international. Returns 0, or -1 when q has no digits or does not fit. */
int phone_prefix_normalize(const char *q, const char *region, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
