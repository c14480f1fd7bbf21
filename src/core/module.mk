# core: logging, configuration, CSV, allocation, buffers, time, addresses
SRCS += src/core/accept_guard.c
SRCS += src/core/addr.c
SRCS += src/core/bucket.c
SRCS += src/core/buf.c
SRCS += src/core/clock.c
SRCS += src/core/conf.c
SRCS += src/core/csv.c
SRCS += src/core/config.c
SRCS += src/core/err.c
SRCS += src/core/log.c
SRCS += src/core/worker.c
SRCS += src/core/mem.c
SRCS += src/core/pidlock.c
