/* bashgah: a customer club server. One binary; the first argument names a subcommand from the table below. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static int cmd_version(int argc, char **argv)
{
    if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("usage: bashgah version\n\nPrints the version of this program.\n");
        return 0;
    }
    if (argc > 0) {
        fprintf(stderr, "bashgah: version takes no arguments\n");
        return 2;
    }
    printf("bashgah %s\n", BASHGAH_VERSION);
    return 0;
}

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"serve", cli_serve, "serve the API over HTTP"},
    {"migrate", cli_migrate, "create or upgrade the database"},
    {"user", cli_user, "staff accounts: add, list, passwd"},
    {"apikey", cli_apikey, "API keys: create, list, revoke"},
    {"member", cli_member, "members: import, export (CSV)"},
    {"backup", cli_backup, "online copy of the database into a file"},
    {"verify", cli_verify, "check every invariant of the points ledger"},
    {"routes", cli_routes, "print the HTTP route table"},
    {"version", cmd_version, "print the version"},
};

static int usage(FILE *out)
{
    fprintf(out, "usage: bashgah COMMAND [options]   (bashgah COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].help);
    return out == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
        return usage(stdout);
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(0, NULL);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "bashgah: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
