/* JSON text written straight into a growing buffer, for answers built on a hot path (a purchase's answer is
 * rendered once per purchase on the writer thread; building a jansson tree and dumping it cost several times
 * more). The caller writes the punctuation; strings are quoted and escaped here as jansson escapes them
 * (", \ and control characters; other bytes as they are: the text given must already be valid UTF-8). */
#ifndef BASHGAH_JSONBUF_H
#define BASHGAH_JSONBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jsonbuf {
    char *text; /* NUL-terminated; malloc'd */
    size_t len, cap;
} jsonbuf;

void jsonbuf_init(jsonbuf *b);
void jsonbuf_release(jsonbuf *b);
/* Hands the text over to the caller (to free()) and leaves b empty. */
char *jsonbuf_take(jsonbuf *b);
/* Appends bytes as they are (punctuation, keys the caller knows need no escaping, JSON text). */
void jsonbuf_raw(jsonbuf *b, const char *s);
/* Appends s as a JSON string, NULL as null. */
void jsonbuf_str(jsonbuf *b, const char *s);
void jsonbuf_int(jsonbuf *b, int64_t v);

/* Whether s, JSON text that jansson parsed without error, is already what json_dumps(JSON_COMPACT) writes for the
 * value it parsed to, byte for byte: no white space, no escapes, no reals, no -0 (a bulk import then keeps the text
 * it read instead of writing it again). False only means "not sure": dump it then. */
bool jsonbuf_is_compact(const char *s, size_t len);

#endif
