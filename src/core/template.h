/* Message templates: text with {variable} placeholders ({given_name}, {points}, ...), "{{" and "}}" for literal
 * braces. Checking names every unknown variable and unbalanced brace against the field it is in; rendering fills
 * the values in, escaped for HTML when the text is HTML. Numbers are written for the locale: grouped with "," in
 * English, with Persian digits and the Persian thousands separator in Persian. Pure: no I/O. */
#ifndef BASHGAH_CORE_TEMPLATE_H
#define BASHGAH_CORE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errlist.h"

#define TEMPLATE_NAME_MAX 32
#define TEMPLATE_OUT_MAX 262144 /* bytes of a rendered text */

typedef struct template_var {
    const char *name;
    const char *value; /* already written for the locale */
} template_var;

/* The variables templates may use, NULL-terminated. */
extern const char *const template_names[];

/* Adds an error naming field for each unknown variable or stray brace in text; returns how many it added. */
int template_check(const char *text, const char *field, errlist *e);
/* text with each {name} replaced by its value (HTML-escaped when html); unknown names are left out. malloc'd;
 * NULL when the result would pass TEMPLATE_OUT_MAX. */
char *template_render(const char *text, const template_var *vars, int n, bool html);
/* n written for locale ("fa": Persian digits, "٬" between thousands; else ASCII with ","). */
void template_number(int64_t n, const char *locale, char *out, size_t cap);
/* The date at at_ms in time zone tz, written for locale: "fa" in the Persian (Jalali) calendar with Persian digits
 * and the month's Persian name ("۴ آذر ۱۴۰۵"), else Gregorian in English ("25 November 2026"). An unknown zone is
 * read as UTC. */
void template_date(int64_t at_ms, const char *tz, const char *locale, char *out, size_t cap);

#endif
