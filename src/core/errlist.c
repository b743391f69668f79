/* Field error lists. */
#include "core/errlist.h"

#include <stdarg.h>
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
