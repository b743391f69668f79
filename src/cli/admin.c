/* Administration from the command line: migrate, user add|list|passwd, apikey create|list|revoke, backup, routes.
 * These open the database directly and work while the server runs (SQLite's lock orders the writers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/staff.h"
#include "base/clock.h"
#include "base/secret.h"
#include "cli/cli.h"
#include "http/http.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int cli_migrate(int argc, char **argv)
{
    static const config_def defs[] = {CLI_DATA_DEFS};
    config c;
    int code;
    if (!cli_options(&c, defs, COUNT(defs), argc, argv, "bashgah migrate [--data DIR]",
                     "Creates the database or brings its schema up to date.", &code))
        return code;
    store *s = cli_open_store(&c);
    if (s)
        printf("schema version %d\n", store_schema_version(s));
    store_close(s);
    config_release(&c);
    return s ? 0 : 1;
}

typedef struct user_args {
    const char *username;
    char hash[SECRET_PASSWORD_HASH_LEN];
    role role;
    store_user user;
    char shown[24]; /* a generated password, printed last */
} user_args;

static int user_add_tx(store_tx *tx, void *arg)
{
    user_args *a = arg;
    store_actor actor = cli_actor();
    return staff_user_add(tx, &actor, clock_now_ms(), a->username, a->hash, a->role, &a->user);
}

static int user_passwd_tx(store_tx *tx, void *arg)
{
    user_args *a = arg;
    store_actor actor = cli_actor();
    int status = store_tx_user_by_name(tx, a->username, &a->user);
    if (status != STORE_OK)
        return status;
    json_t *before = staff_user_json(&a->user);
    snprintf(a->user.password_hash, sizeof(a->user.password_hash), "%s", a->hash);
    a->user.locked_until = 0;
    a->user.updated_at = clock_now_ms();
    status = store_tx_user_update(tx, &a->user);
    if (status == STORE_OK)
        status = store_tx_login_succeeded(tx, a->user.id); /* clears the failed sign-ins too */
    if (status == STORE_OK)
        return store_tx_audit(tx, &actor, a->user.updated_at, "user.update_password", "user", a->user.id, before,
                              staff_user_json(&a->user));
    json_decref(before);
    return status;
}

static void print_user(const store_user *u, void *arg)
{
    printf("%lld\t%s\t%s%s\n", (long long)u->id, u->username, roles_name(u->role), u->disabled ? "\tdisabled" : "");
}

/* Hashes --password, or a generated one that is printed. Returns -1 with a message on a bad password. */
static int take_password(const config *c, user_args *a)
{
    const char *given = config_get(c, "password");
    char generated[24];
    if (!given)
        secret_password_generate(generated);
    errlist e;
    errlist_init(&e);
    staff_check_password(given ? given : generated, &e);
    if (e.count) {
        fprintf(stderr, "bashgah: password %s\n", e.items[0].message);
        return -1;
    }
    if (secret_password_hash(given ? given : generated, a->hash) != 0)
        return -1;
    if (!given)
        snprintf(a->shown, sizeof(a->shown), "%s", generated);
    return 0;
}

int cli_user(int argc, char **argv)
{
    static const config_def defs[] = {
        CLI_DATA_DEFS,
        {"username", NULL, NULL, "the user's sign-in name", false},
        {"role", NULL, NULL, "owner, manager, marketer, cashier or analyst", false},
        {"password", NULL, NULL, "the password (generated and printed when not given)", false},
    };
    const char *usage = "bashgah user add --username U --role ROLE [--password P] | list | passwd --username U [--password P]";
    bool has_verb = argc > 0 && argv[0][0] != '-';
    const char *verb = has_verb ? argv[0] : "";
    config c;
    int code;
    if (!cli_options(&c, defs, COUNT(defs), argc - has_verb, argv + has_verb, usage,
                     "Manages staff accounts.", &code))
        return code;
    user_args a = {.username = config_get(&c, "username"), .role = roles_from_name(config_get(&c, "role"))};
    store *s = NULL;
    code = 2;
    if (strcmp(verb, "list") == 0) {
        if ((s = cli_open_store(&c)) != NULL) {
            store_reader *r = store_reader_open(s);
            code = r && store_user_each(r, print_user, NULL) == STORE_OK ? 0 : 1;
            store_reader_close(r);
        }
    } else if (strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0) {
        bool add = strcmp(verb, "add") == 0;
        errlist e;
        errlist_init(&e);
        staff_check_username(a.username ? a.username : "", &e);
        if (e.count || (add && a.role == ROLE_NONE))
            fprintf(stderr, "bashgah: %s\nusage: %s\n", e.count ? "--username: 1 to 64 of a-z 0-9 . _ -" : "--role is required", usage);
        else if ((s = cli_open_store(&c)) != NULL && take_password(&c, &a) == 0) {
            int status = store_run(s, add ? user_add_tx : user_passwd_tx, &a);
            code = status == STORE_OK ? 0 : 1;
            if (status == STORE_CONFLICT)
                fprintf(stderr, "bashgah: the username %s is taken\n", a.username);
            else if (status == STORE_NOTFOUND)
                fprintf(stderr, "bashgah: there is no user %s\n", a.username);
            else if (status == STORE_OK)
            {
                printf("%s user %s (%s)\n", add ? "added" : "updated", a.user.username, roles_name(a.user.role));
                if (a.shown[0])
                    printf("password: %s\n", a.shown);
            }
        } else {
            code = 1;
        }
    } else {
        fprintf(stderr, "usage: %s\n", usage);
    }
    store_close(s);
    config_release(&c);
    return code;
}

typedef struct key_args {
    const char *name;
    role role;
    int64_t id;
    store_apikey key;
    char text[SECRET_APIKEY_LEN];
} key_args;

static int key_create_tx(store_tx *tx, void *arg)
{
    key_args *a = arg;
    store_actor actor = cli_actor();
    return staff_apikey_create(tx, &actor, clock_now_ms(), a->name, a->role, &a->key, a->text);
}

static int key_revoke_tx(store_tx *tx, void *arg)
{
    key_args *a = arg;
    store_actor actor = cli_actor();
    return staff_apikey_revoke(tx, &actor, clock_now_ms(), a->id);
}

static void print_key(const store_apikey *k, void *arg)
{
    printf("%lld\t%s\t%s\t%s\n", (long long)k->id, k->name, roles_name(k->role), k->revoked_at ? "revoked" : "active");
}

int cli_apikey(int argc, char **argv)
{
    static const config_def defs[] = {
        CLI_DATA_DEFS,
        {"name", NULL, NULL, "what the key is for, e.g. pos-branch-1", false},
        {"role", NULL, NULL, "the key's role: owner, manager, marketer, cashier or analyst", false},
        {"id", NULL, NULL, "the key to revoke", false},
    };
    const char *usage = "bashgah apikey create --role ROLE --name NAME | list | revoke --id ID";
    bool has_verb = argc > 0 && argv[0][0] != '-';
    const char *verb = has_verb ? argv[0] : "";
    config c;
    int code;
    if (!cli_options(&c, defs, COUNT(defs), argc - has_verb, argv + has_verb, usage,
                     "Manages API keys for point-of-sale systems and other integrations. The key is shown once.", &code))
        return code;
    key_args a = {.name = config_get(&c, "name"), .role = roles_from_name(config_get(&c, "role"))};
    const char *id = config_get(&c, "id");
    store *s = NULL;
    code = 2;
    if (strcmp(verb, "list") == 0) {
        if ((s = cli_open_store(&c)) != NULL) {
            store_reader *r = store_reader_open(s);
            code = r && store_apikey_each(r, print_key, NULL) == STORE_OK ? 0 : 1;
            store_reader_close(r);
        }
    } else if (strcmp(verb, "create") == 0 && a.role != ROLE_NONE && a.name && *a.name && strlen(a.name) < 129) {
        code = 1;
        if ((s = cli_open_store(&c)) != NULL && store_run(s, key_create_tx, &a) == STORE_OK) {
            printf("created API key %lld (%s, role %s); it is shown only now:\n%s\n", (long long)a.key.id, a.key.name,
                   roles_name(a.role), a.text);
            code = 0;
        }
    } else if (strcmp(verb, "revoke") == 0 && id && (a.id = strtoll(id, NULL, 10)) > 0) {
        code = 1;
        int status = (s = cli_open_store(&c)) ? store_run(s, key_revoke_tx, &a) : STORE_ERROR;
        if (status == STORE_OK) {
            printf("revoked API key %lld\n", (long long)a.id);
            code = 0;
        } else if (status == STORE_NOTFOUND) {
            fprintf(stderr, "bashgah: there is no active API key %s\n", id);
        }
    } else {
        fprintf(stderr, "usage: %s\n", usage);
    }
    store_close(s);
    config_release(&c);
    return code;
}

int cli_backup(int argc, char **argv)
{
    static const config_def defs[] = {CLI_DATA_DEFS};
    config c;
    int code;
    if (!cli_options(&c, defs, COUNT(defs), argc, argv, "bashgah backup [--data DIR] FILE",
                     "Copies the whole database into FILE while the server keeps running (SQLite backup API).", &code))
        return code;
    if (c.npositional != 1) {
        fprintf(stderr, "usage: bashgah backup [--data DIR] FILE\n");
        config_release(&c);
        return 2;
    }
    char err[512];
    store *s = cli_open_store(&c);
    code = 1;
    if (s && store_backup(s, c.positional[0], err, sizeof(err)) == STORE_OK) {
        printf("backed up to %s\n", c.positional[0]);
        code = 0;
    } else if (s) {
        fprintf(stderr, "bashgah: %s\n", err);
    }
    store_close(s);
    config_release(&c);
    return code;
}

int cli_routes(int argc, char **argv)
{
    if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        printf("usage: bashgah routes\n\nPrints the HTTP route table as METHOD PATH lines.\n");
        return 0;
    }
    for (int i = 0; i < http_routes_count; i++)
        printf("%s %s\n", http_routes[i].method, http_routes[i].path);
    return 0;
}

int cli_verify(int argc, char **argv)
{
    static const config_def defs[] = {CLI_DATA_DEFS};
    config c;
    int code;
    if (!cli_options(&c, defs, COUNT(defs), argc, argv, "bashgah verify [--data DIR]",
                     "Checks every invariant of the points ledger on the whole database and names each breach.\n"
                     "Exit status 0 when all hold, 1 when any does not. Safe while the server runs.",
                     &code))
        return code;
    store *s = cli_open_store(&c);
    store_reader *r = s ? store_reader_open(s) : NULL;
    json_t *problems = json_array();
    code = 1;
    if (r && store_verify(r, problems) == STORE_OK) {
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p) {
            const char *err = json_string_value(json_object_get(p, "error"));
            if (err)
                printf("breach: %s: %s\n", json_string_value(json_object_get(p, "rule")), err);
            else
                printf("breach: %s: %s: expected %s, found %s\n", json_string_value(json_object_get(p, "rule")),
                       json_string_value(json_object_get(p, "subject")),
                       json_string_value(json_object_get(p, "expected")),
                       json_string_value(json_object_get(p, "found")));
        }
        if (json_array_size(problems) == 0) {
            printf("ok: every ledger invariant holds\n");
            code = 0;
        }
    }
    json_decref(problems);
    store_reader_close(r);
    store_close(s);
    config_release(&c);
    return code;
}
