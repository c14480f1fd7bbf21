# kpass: the command-line tool (entry point and one file per subcommand)
KPASS_SRCS += src/kpass/bench.c
KPASS_SRCS += src/kpass/cmd_bench.c
KPASS_SRCS += src/kpass/cmd_import.c
KPASS_SRCS += src/kpass/cmd_init.c
KPASS_SRCS += src/kpass/cmd_office.c
KPASS_SRCS += src/kpass/cmd_partner.c
KPASS_SRCS += src/kpass/cmd_phone.c
KPASS_SRCS += src/kpass/cmd_service.c
KPASS_SRCS += src/kpass/dir_rows.c
KPASS_SRCS += src/kpass/main.c
