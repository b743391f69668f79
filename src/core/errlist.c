/* Field error lists. */
#include "core/errlist.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void errlist_init(errlist *e) { e->count = 0; }

void errlist_add(errlist *e, const char *field, const char *fmt, ...)
{
    if (e->count < ERRLIST_MAX) {
        snprintf(e->items[e->count].field, sizeof(e->items[0].field), "%s", field);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->items[e->count].message, sizeof(e->items[0].message), fmt, ap);
        va_end(ap);
    }
    e->count++;
}

void errlist_only_fields(errlist *e, const json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, key) == 0;
        if (!known) {
            char field[64];
            snprintf(field, sizeof(field), "%.63s", key);
            errlist_add(e, field, "is not a known field");
        }
    }
}
