/* A list of field errors from validation: what the HTTP layer turns into problem+json "errors"
 * and the importer into "line L: FIELD: MESSAGE". Fixed size: the first ERRLIST_MAX errors are kept. */
#ifndef BASHGAH_ERRLIST_H
#define BASHGAH_ERRLIST_H

#include <jansson.h>
#include <stddef.h>

#define ERRLIST_MAX 16

typedef struct errlist {
    int count; /* may exceed ERRLIST_MAX: the extra ones are counted, not kept */
    struct {
        char field[64];
        char message[192];
    } items[ERRLIST_MAX];
} errlist;

void errlist_init(errlist *e);
void errlist_add(errlist *e, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Adds "is not a known field" for each key of obj (a JSON object) that is not in allowed (NULL-terminated). */
void errlist_only_fields(errlist *e, const json_t *obj, const char *const *allowed);

#endif
