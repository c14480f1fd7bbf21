# kpass: the command-line tool (entry point and one file per subcommand)
# Check suite and the fuzz target can reach it (see citizen_csv.h).
# Pure and private to `kpass import citizens`, but in libkpass.a so that the
KPASS_SRCS += src/kpass/bench.c
KPASS_SRCS += src/kpass/cmd_audit.c
KPASS_SRCS += src/kpass/cmd_bench.c
KPASS_SRCS += src/kpass/cmd_citizen.c
KPASS_SRCS += src/kpass/cmd_import.c
KPASS_SRCS += src/kpass/cmd_import_citizens.c
KPASS_SRCS += src/kpass/cmd_init.c
KPASS_SRCS += src/kpass/cmd_menu.c
KPASS_SRCS += src/kpass/cmd_office.c
KPASS_SRCS += src/kpass/cmd_partner.c
KPASS_SRCS += src/kpass/cmd_phone.c
KPASS_SRCS += src/kpass/cmd_service.c
KPASS_SRCS += src/kpass/cmd_sms.c
KPASS_SRCS += src/kpass/dir_rows.c
KPASS_SRCS += src/kpass/main.c
SRCS += src/kpass/citizen_csv.c
