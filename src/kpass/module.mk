# kpass: the command-line tool (entry point and one file per subcommand)
KPASS_SRCS += src/kpass/bench.c
KPASS_SRCS += src/kpass/cmd_audit.c
KPASS_SRCS += src/kpass/cmd_bench.c
KPASS_SRCS += src/kpass/cmd_citizen.c
KPASS_SRCS += src/kpass/cmd_import_citizens.c
KPASS_SRCS += src/kpass/cmd_init.c
KPASS_SRCS += src/kpass/cmd_partner.c
KPASS_SRCS += src/kpass/main.c
# Pure and private to `kpass import citizens`, but in libkpass.a so that the
# Check suite and the fuzz target can reach it (see citizen_csv.h).
SRCS += src/kpass/citizen_csv.c
