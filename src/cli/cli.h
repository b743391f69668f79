/* The subcommands of the bashgah binary. Each takes argv after its own name, handles --help, and returns the
 * process exit code (0 success, 1 failure, 2 usage error). main.c holds the table that names them. */
#ifndef BASHGAH_CLI_H
#define BASHGAH_CLI_H

#include "base/config.h"
#include "store/store.h"

int cli_serve(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_apikey(int argc, char **argv);
int cli_member(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_routes(int argc, char **argv);
int cli_verify(int argc, char **argv);

/* The settings every command that opens the database shares: data and config. */
#define CLI_DATA_DEFS                                                                                              \
    {"data", "BASHGAH_DATA", "./data", "data directory (holds bashgah.db)", false},                               \
    {"config", "BASHGAH_CONFIG", NULL, "config file of name = value lines", false}

/* Parses options; prints help (returning 0 through *exit_code) or an error (2). Returns true to go on. */
bool cli_options(config *c, const config_def *defs, size_t ndefs, int argc, char **argv, const char *usage,
                 const char *about, int *exit_code);
/* Opens the store in the configured data directory; prints the error and returns NULL when it cannot. */
store *cli_open_store(const config *c);
/* Seeds the demo club (members, a rule, tiers, rewards) into an empty club; 0, or -1 on failure. */
int cli_seed_demo(store *s);
/* The actor for writes made from the command line. */
store_actor cli_actor(void);

#endif
