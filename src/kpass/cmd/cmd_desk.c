/* SPDX-License-Identifier: ISC */
/*
 * kpass desk: add, list and revoke the desks of offices (administration,
 * on the database), and `kpass desk [run]`, the terminal program staff use
 * at a counter (desk_client.h, over HTTP: no database needed).  A desk's
 * token is shown once, when the desk is added (or written to a new file
 * with mode 0600), and kept only as a keyed hash.  Also the desk key
 * helper `kpass staff` shares.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sodium.h>

#include "../cli.h"
#include "../desk/desk_client.h"
#include "kpass/core/addr.h"
#include "kpass/core/clock.h"
#include "kpass/core/err.h"
#include "kpass/id/keys.h"
#include "kpass/core/mem.h"
#include "kpass/office/office.h"
#include "kpass/store/desk.h"

#define DESK_ACTOR       cli_actor()
#define DESK_DEFAULT_URL "http://127.0.0.1:8080"

static const char desk_usage_text[] =
    "kpass desk add OFFICE [--name NAME] [--token-file FILE]\n"
    "       kpass desk list [--office OFFICE]\n"
    "       kpass desk revoke ID\n"
    "       kpass desk [run] --token-file FILE [--url URL] [--image FILE]\n"
    "                  [--timeout SECONDS] [--insecure-http]";

enum desk_opt {
    OPT_NAME = 1000,
    OPT_TOKEN_FILE,
    OPT_OFFICE,
    OPT_URL,
    OPT_IMAGE,
    OPT_TIMEOUT,
    OPT_INSECURE,
};

static const struct option desk_opts[] = {
    {"name", required_argument, NULL, OPT_NAME},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"office", required_argument, NULL, OPT_OFFICE},
    {"url", required_argument, NULL, OPT_URL},
    {"image", required_argument, NULL, OPT_IMAGE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"insecure-http", no_argument, NULL, OPT_INSECURE},
    {NULL, 0, NULL, 0},
};

struct desk_args {
    const char *name, *token_file, *office, *url, *image;
    unsigned timeout_s;
    int insecure;
};

/* Options from argv[first] on, only those in allowed (1 << (opt - OPT_NAME)).
   0 or an exit status; *next is the first operand. */
static int desk_parse(struct desk_args *a, unsigned allowed, int argc, char **argv, int first,
                      int *next)
{
    int ch;

    memset(a, 0, sizeof(*a));
    optind = first;
    while ((ch = getopt_long(argc, argv, "", desk_opts, NULL)) != -1) {
        if (ch < OPT_NAME || !(allowed & (1u << (ch - OPT_NAME))))
            return cli_usage(desk_usage_text);
        if (ch == OPT_NAME)
            a->name = optarg;
        else if (ch == OPT_TOKEN_FILE)
            a->token_file = optarg;
        else if (ch == OPT_OFFICE)
            a->office = optarg;
        else if (ch == OPT_URL)
            a->url = optarg;
        else if (ch == OPT_IMAGE)
            a->image = optarg;
        else if (ch == OPT_INSECURE)
            a->insecure = 1;
        else {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end != '\0' || v < 1 || v > 600)
                return cli_fail("--timeout: a number of seconds from 1 to 600");
            a->timeout_s = (unsigned)v;
        }
    }
    *next = optind;
    return 0;
}

#define DESK_ALLOW(o) (1u << ((o)-OPT_NAME))

int cli_desk_key(struct kp_cli *cli, uint8_t **key)
{
    struct kp_buf err = KP_BUF_INIT;
    uint8_t *partner = NULL;
    int rc;

    *key = NULL;
    if ((rc = cli_store_keys(cli)) < 0)
        return rc;
    if ((rc = keys_secret_load(cli->cfg.keys_dir, KEYS_PARTNER, &partner, &err)) < 0) {
        fputs(err.data ? err.data : "keys: cannot load partner.key\n", stderr);
        kp_buf_free(&err);
        return rc;
    }
    kp_buf_free(&err);
    if ((*key = sodium_malloc(STORE_DESK_KEY_BYTES)) == NULL) {
        keys_secret_free(partner);
        cli_fail("out of secure memory");
        return -KP_ERR_NOMEM;
    }
    rc = office_desk_key_derive(partner, *key);
    keys_secret_free(partner);
    if (rc < 0) {
        sodium_free(*key);
        *key = NULL;
        cli_fail("cannot derive the desk key");
    }
    return rc;
}

/* Write token to a new file (mode 0600, never an existing one).  0 or 1. */
static int desk_token_write(const char *path, const char *token)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    size_t n = strlen(token);

    if (fd < 0)
        return cli_fail("cannot create %s: %s", path, strerror(errno));
    if (write(fd, token, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return cli_fail("cannot write %s: %s", path, strerror(e));
    }
    close(fd);
    return 0;
}

static int desk_add(struct kp_cli *cli, int argc, char **argv)
{
    char token[STORE_DESK_TOKEN_SIZE];
    struct store_desk d;
    struct desk_args a;
    uint8_t *key;
    int rc, next;

    if ((rc = desk_parse(&a, DESK_ALLOW(OPT_NAME) | DESK_ALLOW(OPT_TOKEN_FILE), argc, argv, 2,
                         &next)) != 0)
        return rc;
    if (next != argc)
        return cli_usage(desk_usage_text);
    if (store_desk_office_valid(argv[1]) < 0)
        return cli_fail("'%s' is not an office code (2 to 8 of A-Z 0-9)", argv[1]);
    if (a.name && store_desk_name_valid(a.name, STORE_DESK_NAME_CHARS) < 0)
        return cli_fail("--name: 1 to %d characters, no control characters, no spaces "
                        "around",
                        STORE_DESK_NAME_CHARS);
    if (a.token_file && access(a.token_file, F_OK) == 0)
        return cli_fail("%s exists: the token goes only to a new file", a.token_file);
    if (cli_desk_key(cli, &key) < 0)
        return 1;
    rc = office_desk_add(cli->st, key, argv[1], a.name, DESK_ACTOR, kp_time_s(), &d, token);
    sodium_free(key);
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no office %s (see kpass office list)", argv[1]);
    if (rc == -KP_ERR_LIMIT)
        return cli_fail("office %s has had %d desks: no more numbers", argv[1], STORE_DESK_SEQ_MAX);
    if (rc < 0)
        return cli_fail("cannot add a desk: %s", kp_strerror(rc));
    printf("desk %s added at office %s (%s)\n", d.id, d.office, d.name);
    if (a.token_file) {
        rc = desk_token_write(a.token_file, token);
        if (rc == 0)
            printf("token written to %s (mode 0600)\n", a.token_file);
        else
            printf("the token could not be written: revoke the desk (kpass desk revoke %s) "
                   "and add another\n",
                   d.id);
    } else {
        printf("token: %s\n", token);
        printf("This token is shown only this once: put it in the desk's token file "
               "(mode 0600).\n");
    }
    sodium_memzero(token, sizeof(token));
    return rc;
}

static int desk_list(struct kp_cli *cli, int argc, char **argv)
{
    struct store_desk *v;
    struct desk_args a;
    char t[CLI_TIME_SIZE];
    int rc, n, next;

    if ((rc = desk_parse(&a, DESK_ALLOW(OPT_OFFICE), argc, argv, 1, &next)) != 0)
        return rc;
    if (next != argc)
        return cli_usage(desk_usage_text);
    if (cli_store(cli) < 0)
        return 1;
    if ((n = store_desk_list(cli->st, a.office, &v)) < 0)
        return cli_fail("cannot read the desks");
    printf("%-14s %-8s %-8s %-20s %s\n", "ID", "OFFICE", "STATUS", "CREATED", "NAME");
    for (int i = 0; i < n; i++)
        printf("%-14s %-8s %-8s %-20s %s\n", v[i].id, v[i].office,
               v[i].revoked_at ? "revoked" : "active", cli_time(v[i].created_at, t), v[i].name);
    printf("%d desk%s\n", n, n == 1 ? "" : "s");
    free(v);
    return 0;
}

static int desk_revoke(struct kp_cli *cli, const char *id)
{
    char done[64];
    int rc;

    if (cli_store_keys(cli) < 0)
        return 1;
    rc = office_desk_revoke(cli->st, id, DESK_ACTOR, kp_time_s());
    if (rc == -KP_ERR_NOTFOUND)
        return cli_fail("no desk %s", id);
    if (rc < 0)
        return cli_fail("cannot revoke desk %s: %s", id, kp_strerror(rc));
    if (rc == 0) {
        printf("desk %s was already revoked\n", id);
        return 0;
    }
    snprintf(done, sizeof(done), "desk %s revoked", id);
    cli_change_report(cli, done, "its token and every session at it are refused");
    return 0;
}

/* The first line of path (mode 0600 or stricter) into out.  0 or an exit status. */
static int desk_token_read(const char *path, char *out, size_t cap)
{
    struct stat sb;
    FILE *f;
    int ok;

    if ((f = fopen(path, "re")) == NULL)
        return cli_fail("cannot read %s: %s", path, strerror(errno));
    if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0) {
        fclose(f);
        return cli_fail("%s: the desk token file must be a regular file that only its owner "
                        "may read (chmod 600 %s)",
                        path, path);
    }
    ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    if (!ok)
        return cli_fail("%s is empty", path);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

/*
 * The URL of [http] listen in the configuration, when there is a
 * configuration file (a counter's PC may have none: then the default).
 * 0, or an exit status after the configuration's errors were shown.
 */
static int desk_url_from_config(struct kp_cli *cli, char *url, size_t cap)
{
    const struct sockaddr_in *s4;
    const struct sockaddr_in6 *s6;

    snprintf(url, cap, "%s", DESK_DEFAULT_URL);
    if (access(cli->conf_path, F_OK) != 0)
        return 0;
    if (cli_config(cli) < 0)
        return 1;
    if (cli->http.nlisten < 1)
        return 0;
    s4 = (const struct sockaddr_in *)&cli->http.listen[0].ss;
    s6 = (const struct sockaddr_in6 *)&cli->http.listen[0].ss;
    if (s4->sin_family == AF_INET && s4->sin_addr.s_addr == htonl(INADDR_ANY))
        snprintf(url, cap, "http://127.0.0.1:%u", ntohs(s4->sin_port));
    else if (s6->sin6_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
        snprintf(url, cap, "http://[::1]:%u", ntohs(s6->sin6_port));
    else
        snprintf(url, cap, "http://%s", cli->http.listen[0].text);
    return 0;
}

static int desk_run(struct kp_cli *cli, int argc, char **argv, int first)
{
    struct desk_client_opts o;
    struct desk_args a;
    char url[128], *token;
    const char *term = getenv("TERM");
    int rc, next;

    if ((rc = desk_parse(&a,
                         DESK_ALLOW(OPT_TOKEN_FILE) | DESK_ALLOW(OPT_URL) | DESK_ALLOW(OPT_IMAGE) |
                             DESK_ALLOW(OPT_TIMEOUT) | DESK_ALLOW(OPT_INSECURE),
                         argc, argv, first, &next)) != 0)
        return rc;
    if (next != argc)
        return cli_usage(desk_usage_text);
    if (a.token_file == NULL && (a.token_file = getenv("KPASS_DESK_TOKEN_FILE")) == NULL)
        return cli_fail("desk: --token-file FILE (or $KPASS_DESK_TOKEN_FILE) names the file "
                        "that holds this desk's token");
    if (a.url == NULL && desk_url_from_config(cli, url, sizeof(url)) != 0)
        return 1;
    if ((token = sodium_malloc(DESK_LINE_MAX)) == NULL)
        return cli_fail("out of secure memory");
    if ((rc = desk_token_read(a.token_file, token, DESK_LINE_MAX)) == 0) {
        o = (struct desk_client_opts){a.url ? a.url : url,
                                      token,
                                      a.image,
                                      a.timeout_s * 1000,
                                      cli->tty_out && getenv("NO_COLOR") == NULL &&
                                          !(term && strcmp(term, "dumb") == 0),
                                      a.insecure};
        rc = desk_client_run(&o, stdin, stdout);
    }
    sodium_free(token);
    return rc;
}

int cmd_desk(struct kp_cli *cli, int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return desk_run(cli, argc, argv, 1);
    if (strcmp(argv[1], "run") == 0)
        return desk_run(cli, argc, argv, 2);
    if (strcmp(argv[1], "add") == 0 && argc >= 3)
        return desk_add(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return desk_list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "revoke") == 0 && argc == 3)
        return desk_revoke(cli, argv[2]);
    return cli_usage(desk_usage_text);
}
