/* SPDX-License-Identifier: ISC */
/*
 * Replays every fuzz corpus (tests/fuzz/corpus/<name>/) through its target,
 * so that `make test` keeps every crash ever found fixed, without clang.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define KP_SUITE(n)
static int replay_dir(const char *name, int (*fn)(const uint8_t *, size_t))
{
    char dir[1024];
    DIR *d;
    struct dirent *e;
    int count = 0;

    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", tu_top(), name);
    d = opendir(dir);
    ck_assert_msg(d != NULL, "no corpus folder %s", dir);
    while ((e = readdir(d)) != NULL) {
        char path[2048];
        size_t len;
        uint8_t *data;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        data = tu_read_file(path, &len);
        ck_assert_msg(data != NULL, "cannot read %s", path);
        fn(data, len);
        free(data);
        count++;
    }
    closedir(d);
    return count;
}

#define KP_FUZZER(n)                                                                               \
    START_TEST(test_replay_##n)                                                                    \
    {                                                                                              \
        ck_assert_int_gt(replay_dir(#n, fuzz_##n), 0);                                             \
    }                                                                                              \
    END_TEST
#include "kp_suites.h"
#undef KP_FUZZER

Suite *suite_fuzz_replay(void)
{
    Suite *s = suite_create("fuzz_replay");
    TCase *tc = tcase_create("corpora");

    tcase_set_timeout(tc, 60);
#define KP_FUZZER(n) tcase_add_test(tc, test_replay_##n);
#include "kp_suites.h"
#undef KP_FUZZER
    suite_add_tcase(s, tc);
    return s;
}
