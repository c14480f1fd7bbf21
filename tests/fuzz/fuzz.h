/* SPDX-License-Identifier: ISC */
/*
 * Fuzz target glue.  A target is written once:
 *
 *   KP_FUZZ_TARGET(base45) { ...use data, size...; return 0; }
 *
 * and becomes fuzz_base45(), replayed over tests/fuzz/corpus/base45/ by the
 * Check suite under `make test`, and also LLVMFuzzerTestOneInput() when built
 * by `make fuzz` (KP_LIBFUZZER).
 */
#ifndef KPASS_TESTS_FUZZ_H
#define KPASS_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef KP_LIBFUZZER
#define KP_FUZZ_ENTRY(name)                                                                        \
    int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);                                        \
    int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)                                         \
    {                                                                                              \
        return fuzz_##name(d, n);                                                                  \
    }
#else
#define KP_FUZZ_ENTRY(name)
#endif

#define KP_FUZZ_TARGET(name)                                                                       \
    int fuzz_##name(const uint8_t *data, size_t size);                                             \
    KP_FUZZ_ENTRY(name)                                                                            \
    int fuzz_##name(const uint8_t *data, size_t size)

#endif
