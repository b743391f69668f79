/*
 * email.h: e-mail addresses from user input to the one form we store and match on.
 *
 * Invariant: an address that passes email_normalize is trimmed, has its ASCII letters lowercased,
 * and has the shape local@domain that mail servers accept in practice: a dot-atom local part of
 * at most 64 bytes without spaces, quotes or controls, and a domain of two or more dot-separated
 * labels of letters, digits and inner hyphens (non-ASCII letters allowed for IDN), 254 bytes in
 * all. Pure and thread-safe. Called by member validation, import and search.
 */
#ifndef BASHGAH_CORE_EMAIL_H
#define BASHGAH_CORE_EMAIL_H

#include <stddef.h>

/* Longest address email_normalize accepts (RFC 5321's path limit) plus its NUL: a sufficient cap. */
#define EMAIL_SIZE 255

/* Normalises in[0..len) into out (cap bytes, NUL included). Returns 0, or -1 with *why (when why is
 * not NULL) set to a static English message such as "must contain exactly one @". */
int email_normalize(const char *in, size_t len, char *out, size_t cap, const char **why);

#endif
