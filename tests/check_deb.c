/* SPDX-License-Identifier: ISC */
/*
 * deb: `make deb-package` (what `make deb` builds before lintian) makes a
 * Debian package with the binaries, man pages, menus, seed, unit,
 * sysusers.d and tmpfiles.d files, and the configuration as a conffile
 * (0640, pointing at /var/lib/kpass and /usr/share/kpass); its kpassd looks
 * for /etc/kpass/kpassd.conf.  Its maintainer scripts, run against a
 * scratch root (DPKG_ROOT, as dpkg --root does), create the kpass user,
 * /var/lib/kpass 0750 and its keys folder 0700, give the configuration to
 * group kpass, keep the state on remove and delete it on purge.  Missing
 * packaging tools fail the test (make deps installs them).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static char *root;

static void deb_teardown(void)
{
    char cmd[512];

    if (root && !getenv("KP_KEEP")) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        if (system(cmd) != 0)
            fprintf(stderr, "deb: could not remove %s\n", root);
    }
    free(root);
    root = NULL;
}

/* sh -c cmd within timeout_ms; output in *out (may be NULL). */
static int sh(const char *cmd, char **out, int timeout_ms)
{
    char shell[] = "/bin/sh", c[] = "-c", *text = strdup(cmd);
    char *argv[] = {shell, c, text, NULL};
    int rc = tu_run(argv, NULL, out, timeout_ms);

    free(text);
    return rc;
}

static void need_tool(const char *tool)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null", tool);
    ck_assert_msg(sh(cmd, NULL, 5000) == 0,
                  "deb: %s is not installed: run `make deps` (it installs debhelper, fakeroot "
                  "and dpkg-dev) before the tests",
                  tool);
}

static unsigned mode_at(const char *path)
{
    struct stat sb;

    ck_assert_msg(stat(path, &sb) == 0, "deb: no %s", path);
    return (unsigned)(sb.st_mode & 07777);
}

START_TEST(test_package)
{
    static const char *const want[] = {
        "-rwxr-xr-x root/root ./usr/sbin/kpassd",
        "-rwxr-xr-x root/root ./usr/bin/kpass",
        "./usr/share/man/man1/kpass.1.gz",
        "./usr/share/man/man5/kpassd.conf.5.gz",
        "./usr/share/man/man5/kpass-menu.5.gz",
        "./usr/share/man/man8/kpassd.8.gz",
        "./usr/share/kpass/menus/main.menu",
        "./usr/share/kpass/seed/offices.csv",
        "./usr/share/kpass/seed/services.csv",
        "./lib/systemd/system/kpassd.service",
        "./usr/lib/sysusers.d/kpass.conf",
        "./usr/lib/tmpfiles.d/kpass.conf",
        "-rw-r----- root/root ./etc/kpass/kpassd.conf",
    };
    char cmd[4096], deb[512], path[1024], *out = NULL;
    uint8_t *text;
    int rc;

    need_tool("dpkg-buildpackage");
    need_tool("dh");
    need_tool("fakeroot");
    need_tool("systemd-sysusers");
    need_tool("systemd-tmpfiles");

    /* Build it (reusing the tree's objects: seconds, not minutes). */
    snprintf(cmd, sizeof(cmd), "make -s -C '%s' deb-package 2>&1", tu_top());
    rc = sh(cmd, &out, 170000);
    ck_assert_msg(rc == 0, "make deb-package: exit %d:\n%s", rc, out);
    free(out);
    snprintf(deb, sizeof(deb), "%s/build/deb/kpass_0.1_amd64.deb", tu_top());
    ck_assert_int_eq(access(deb, R_OK), 0);

    /* Contents, with the modes that matter (tar's columns squeezed to one space). */
    snprintf(cmd, sizeof(cmd), "dpkg-deb -c '%s' | awk '{ print $1, $2, $6 }'", deb);
    ck_assert_int_eq(sh(cmd, &out, 10000), 0);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ck_assert_msg(strstr(out, want[i]) != NULL, "deb: no \"%s\" in\n%s", want[i], out);
    free(out);

    /* Unpack into a scratch root, control files under DEBIAN/. */
    root = tu_tmpdir("deb");
    snprintf(cmd, sizeof(cmd),
             "dpkg-deb -x '%s' '%s' && dpkg-deb -e '%s' '%s/DEBIAN' && mkdir -p '%s/stub' && "
             "printf '#!/bin/sh\\nexit 0\\n' > '%s/stub/deb-systemd-helper' && "
             "cp '%s/stub/deb-systemd-helper' '%s/stub/systemctl' && chmod 755 '%s'/stub/* && "
             "touch '%s/etc/passwd' '%s/etc/group'",
             deb, root, deb, root, root, root, root, root, root, root, root);
    ck_assert_int_eq(sh(cmd, NULL, 20000), 0);
    snprintf(path, sizeof(path), "%s/DEBIAN/conffiles", root);
    text = tu_read_file(path, NULL);
    ck_assert_msg(text && strstr((char *)text, "/etc/kpass/kpassd.conf\n"), "conffiles: %s", text);
    free(text);
    snprintf(path, sizeof(path), "%s/etc/kpass/kpassd.conf", root);
    text = tu_read_file(path, NULL);
    ck_assert(strstr((char *)text, "\ndatabase = /var/lib/kpass/kpass.db\n") != NULL);
    ck_assert(strstr((char *)text, "\nkeys = /var/lib/kpass/keys\n") != NULL);
    ck_assert(strstr((char *)text, "\nmenus = /usr/share/kpass/menus\n") != NULL);
    free(text);
    snprintf(path, sizeof(path), "%s/lib/systemd/system/kpassd.service", root);
    text = tu_read_file(path, NULL);
    ck_assert(strstr((char *)text, "\nExecStart=/usr/sbin/kpassd -c /etc/kpass/kpassd.conf\n"));
    ck_assert(strstr((char *)text, "\nUser=kpass\n") && strstr((char *)text, "\nUMask=0077\n"));
    free(text);
    /* The packaged kpassd's built-in configuration path is /etc's. */
    snprintf(cmd, sizeof(cmd), "'%s/usr/sbin/kpassd' -h 2>&1; true", root);
    ck_assert_int_eq(sh(cmd, &out, 5000), 0);
    ck_assert_msg(strstr(out, "/etc/kpass/kpassd.conf") != NULL, "kpassd -h: %s", out);
    free(out);

    /* postinst configure: the user, the folders, the configuration's group. */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && DPKG_ROOT='%s' PATH='%s/stub':\"$PATH\" sh -e DEBIAN/postinst configure",
             root, root, root);
    rc = sh(cmd, &out, 20000);
    ck_assert_msg(rc == 0, "postinst: %d: %s", rc, out);
    free(out);
    snprintf(path, sizeof(path), "%s/etc/passwd", root);
    text = tu_read_file(path, NULL);
    ck_assert_msg(strstr((char *)text, "kpass:x:") && strstr((char *)text, ":/var/lib/kpass:"),
                  "passwd: %s", text);
    free(text);
    snprintf(path, sizeof(path), "%s/var/lib/kpass", root);
    ck_assert_uint_eq(mode_at(path), 0750);
    snprintf(path, sizeof(path), "%s/var/lib/kpass/keys", root);
    ck_assert_uint_eq(mode_at(path), 0700);
    snprintf(cmd, sizeof(cmd),
             "test \"$(stat -c %%g '%s/etc/kpass/kpassd.conf')\" = "
             "\"$(awk -F: '$1 == \"kpass\" { print $3 }' '%s/etc/group')\"",
             root, root);
    ck_assert_msg(sh(cmd, NULL, 5000) == 0, "kpassd.conf is not group kpass");
    snprintf(path, sizeof(path), "%s/etc/kpass/kpassd.conf", root);
    ck_assert_uint_eq(mode_at(path), 0640);

    /* postrm: remove keeps the state, purge deletes it. */
    snprintf(path, sizeof(path), "%s/var/lib/kpass/kpass.db", root);
    ck_assert_int_eq(tu_write_file(path, "data"), 0);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && DPKG_ROOT='%s' PATH='%s/stub':\"$PATH\" sh -e DEBIAN/postrm remove", root,
             root, root);
    ck_assert_int_eq(sh(cmd, NULL, 10000), 0);
    ck_assert_int_eq(access(path, F_OK), 0);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && DPKG_ROOT='%s' PATH='%s/stub':\"$PATH\" sh -e DEBIAN/postrm purge", root,
             root, root);
    ck_assert_int_eq(sh(cmd, NULL, 10000), 0);
    snprintf(path, sizeof(path), "%s/var/lib/kpass", root);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

Suite *suite_deb(void)
{
    Suite *s = suite_create("deb");
    TCase *tc = tcase_create("deb");

    tcase_add_checked_fixture(tc, NULL, deb_teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_package);
    suite_add_tcase(s, tc);
    return s;
}
