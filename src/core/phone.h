/*
 * phone.h: phone numbers from user input to E.164, through Google's libphonenumber.
 *
 * Invariant: a stored phone is the E.164 string phone_normalize wrote ("+989121234567"), so two
 * spellings of one number compare equal. We require a *possible* number (right length for its
 * country), not a *valid* one (a known range), so fictional test numbers such as +15555550123 and
 * ranges newer than the library's metadata are accepted. Pure and thread-safe; the C++ lives in
 * phone.cc behind this C interface. Called by member validation, import and search.
 */
#ifndef BASHGAH_CORE_PHONE_H
#define BASHGAH_CORE_PHONE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest E.164 string ("+" and at most 15 digits) plus its NUL: a sufficient `cap`. */
#define PHONE_E164_SIZE 17

/* Normalises the NUL-terminated `in` to E.164 in out (cap bytes, NUL included).
 * Accepts Persian and Arabic-Indic digits, spaces, dashes, dots, parentheses, bidi marks (LRM,
 * RLM, ...) and a leading "+" or "00". A number without either is national and read in
 * default_region (ISO 3166 alpha-2 such as "IR", either case; NULL or "" when there is none, and
 * then the number must carry its country code).
 * Returns 0, or -1 with *why (if why is not NULL) set to a static English message such as
 * "is not a phone number", "is too short" or "is too long". */
int phone_normalize(const char *in, const char *default_region, char *out, size_t cap,
                    const char **why);

/* True when region is an ISO 3166 alpha-2 code (either case) that libphonenumber has metadata for. */
bool phone_region_valid(const char *region);

#ifdef __cplusplus
}
#endif

#endif
