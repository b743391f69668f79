/*
 * text.h: UTF-8 text helpers for user input (validation, digit folding, Persian normalisation,
 * search keys).
 *
 * Every function is pure and thread-safe: it reads `len` bytes of `in` (no NUL needed) and writes a
 * NUL-terminated result into the caller's buffer `out` of `cap` bytes. Character classes come from
 * ICU, so every Unicode decimal digit (Persian, Arabic-Indic, Devanagari, ...) counts as a digit.
 * Called by the HTTP and import layers before storing names, and by phone/calendar parsing.
 */
#ifndef BASHGAH_CORE_TEXT_H
#define BASHGAH_CORE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates) holding no NUL byte and no
 * C0 control character other than tab, newline and carriage return. */
bool text_valid_utf8(const char *s, size_t len);

/* Copies the NUL-terminated src (NULL: empty) into dst of cap bytes, cut to fit and always terminated: what
 * snprintf(dst, cap, "%s", src) does, without a format to read. No UTF-8 check: src is ours already. */
void text_copy(char *dst, size_t cap, const char *src);

/* Copies in[0..len) to out, replacing each Unicode decimal digit with its ASCII digit.
 * Returns the output length (out is NUL-terminated), or -1 when the input is not well-formed UTF-8
 * or out (cap bytes, NUL included) is too small. The output is never longer than the input. */
int text_digits_to_ascii(const char *in, size_t len, char *out, size_t cap);

/* The canonical form of Persian text as we store it: digits to ASCII, Arabic yeh (U+064A) and alef
 * maksura (U+0649) to Persian yeh (U+06CC), Arabic kaf (U+0643) to keheh (U+06A9); Unicode white
 * space (NBSP included) trimmed at both ends and each inner run collapsed to one ASCII space.
 * ZWNJ (U+200C) is kept: it is part of Persian spelling. Returns the length or -1 as above. */
int text_normalize_persian(const char *in, size_t len, char *out, size_t cap);

/* A search key: text_normalize_persian, then lowercased with ICU's root-locale rules, so that
 * "Ali", "ALI" and "ali" match, as do "علي" and "علی". Returns the length or -1 as above. */
int text_fold_for_search(const char *in, size_t len, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
