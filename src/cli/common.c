/* What the subcommands share: option parsing with help, opening the store, the CLI's audit actor. */
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "base/secret.h"
#include "cli/cli.h"

bool cli_options(config *c, const config_def *defs, size_t ndefs, int argc, char **argv, const char *usage,
                 const char *about, int *exit_code)
{
    char err[256];
    if (config_parse(c, defs, ndefs, argc, argv, err, sizeof(err)) != 0) {
        fprintf(stderr, "bashgah: %s\nusage: %s\n", err, usage);
        *exit_code = 2;
        return false;
    }
    if (c->help) {
        config_print_help(defs, ndefs, usage, about);
        *exit_code = 0;
        return false;
    }
    return true;
}

store *cli_open_store(const config *c)
{
    char err[512];
    store *s;
    secret_init();
    if (store_open(&s, config_get(c, "data"), err, sizeof(err)) != STORE_OK) {
        fprintf(stderr, "bashgah: %s\n", err);
        return NULL;
    }
    return s;
}

store_actor cli_actor(void)
{
    static char name[64];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(name, sizeof(name), "%s", pw ? pw->pw_name : "unknown");
    store_actor a = {"cli", 0, name};
    return a;
}
