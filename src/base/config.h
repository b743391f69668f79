/* Settings and options of a subcommand, from four sources in order of strength: command-line flags,
 * environment variables (BASHGAH_*), the config file (--config or BASHGAH_CONFIG; "name = value" lines),
 * and the declared default. Each subcommand declares what it takes as a table of config_def. */
#ifndef BASHGAH_CONFIG_H
#define BASHGAH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct config_def {
    const char *name; /* flag name without dashes, and key in the config file */
    const char *env;  /* environment variable, or NULL for command options */
    const char *def;  /* default, or NULL */
    const char *help;
    bool is_switch; /* takes no value: present means "true" */
} config_def;

#define CONFIG_VALUES_MAX 64
#define CONFIG_POSITIONAL_MAX 8

typedef struct config {
    const config_def *defs;
    size_t ndefs;
    const char *values[CONFIG_VALUES_MAX]; /* resolved value per def, or NULL */
    char *owned[CONFIG_VALUES_MAX];        /* values read from the config file */
    const char *positional[CONFIG_POSITIONAL_MAX];
    int npositional;
    bool help;
} config;

/* Parses argv (after the subcommand's name) against defs. Returns 0, or -1 with a message in err. */
int config_parse(config *c, const config_def *defs, size_t ndefs, int argc, char **argv, char *err, size_t errlen);
void config_release(config *c);
const char *config_get(const config *c, const char *name);
bool config_switch(const config *c, const char *name);
/* Parses a whole number setting within [min, max]; -1 with a message when it is not one. */
int config_long(const config *c, const char *name, long min, long max, long *out, char *err, size_t errlen);
/* Prints usage and every setting with its flag, environment variable and default. */
void config_print_help(const config_def *defs, size_t ndefs, const char *usage, const char *about);

#endif
