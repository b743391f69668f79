/* Settings resolution: flags > environment > config file > default. */
#include "base/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int def_index(const config *c, const char *name, size_t namelen)
{
    for (size_t i = 0; i < c->ndefs; i++)
        if (strlen(c->defs[i].name) == namelen && memcmp(c->defs[i].name, name, namelen) == 0)
            return (int)i;
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Fills values still unset from the config file at path. */
static int read_config_file(config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected name = value", path, lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        int i = def_index(c, key, strlen(key));
        if (i < 0) {
            snprintf(err, errlen, "%s:%d: unknown setting '%s'", path, lineno, key);
            fclose(f);
            return -1;
        }
        if (!c->values[i]) {
            c->owned[i] = strdup(val);
            c->values[i] = c->owned[i];
        }
    }
    fclose(f);
    return 0;
}

static int parse_flags(config *c, int argc, char **argv, char *err, size_t errlen)
{
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            c->help = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (c->npositional == CONFIG_POSITIONAL_MAX) {
                snprintf(err, errlen, "too many arguments");
                return -1;
            }
            c->positional[c->npositional++] = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t namelen = eq ? (size_t)(eq - name) : strlen(name);
        int i = def_index(c, name, namelen);
        if (i < 0) {
            snprintf(err, errlen, "unknown option --%.*s (see --help)", (int)namelen, name);
            return -1;
        }
        if (c->defs[i].is_switch) {
            c->values[i] = eq ? eq + 1 : "true";
        } else if (eq) {
            c->values[i] = eq + 1;
        } else if (a + 1 < argc) {
            c->values[i] = argv[++a];
        } else {
            snprintf(err, errlen, "option --%s needs a value", c->defs[i].name);
            return -1;
        }
    }
    return 0;
}

int config_parse(config *c, const config_def *defs, size_t ndefs, int argc, char **argv, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    if (ndefs > CONFIG_VALUES_MAX) {
        snprintf(err, errlen, "too many settings");
        return -1;
    }
    c->defs = defs;
    c->ndefs = ndefs;
    if (parse_flags(c, argc, argv, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < ndefs; i++) {
        const char *v;
        if (!c->values[i] && defs[i].env && (v = getenv(defs[i].env)) != NULL && *v)
            c->values[i] = v;
    }
    const char *path = config_get(c, "config");
    if (path && *path && read_config_file(c, path, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < ndefs; i++)
        if (!c->values[i])
            c->values[i] = defs[i].def;
    return 0;
}

void config_release(config *c)
{
    for (size_t i = 0; i < CONFIG_VALUES_MAX; i++)
        free(c->owned[i]);
    memset(c, 0, sizeof(*c));
}

const char *config_get(const config *c, const char *name)
{
    int i = def_index(c, name, strlen(name));
    return i < 0 ? NULL : c->values[i];
}

bool config_switch(const config *c, const char *name)
{
    const char *v = config_get(c, name);
    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0);
}

int config_long(const config *c, const char *name, long min, long max, long *out, char *err, size_t errlen)
{
    const char *v = config_get(c, name);
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || *v == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
        snprintf(err, errlen, "--%s must be a whole number from %ld to %ld", name, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

void config_print_help(const config_def *defs, size_t ndefs, const char *usage, const char *about)
{
    printf("usage: %s\n\n%s\n\noptions (flag > environment > config file > default):\n", usage, about);
    for (size_t i = 0; i < ndefs; i++) {
        const config_def *d = &defs[i];
        printf("  --%-18s %s", d->name, d->help);
        if (d->env)
            printf(" [env %s]", d->env);
        if (d->def)
            printf(" [default %s]", d->def);
        printf("\n");
    }
}
