# kpass: the command-line tool (entry point and one file per subcommand)
KPASS_SRCS += src/kpass/bench.c
KPASS_SRCS += src/kpass/bench_ussd.c
KPASS_SRCS += src/kpass/cmd_audit.c
KPASS_SRCS += src/kpass/cmd_backup.c
KPASS_SRCS += src/kpass/cmd_bench.c
KPASS_SRCS += src/kpass/cmd_citizen.c
KPASS_SRCS += src/kpass/cmd_desk.c
KPASS_SRCS += src/kpass/cmd_import.c
KPASS_SRCS += src/kpass/cmd_import_citizens.c
KPASS_SRCS += src/kpass/cmd_init.c
KPASS_SRCS += src/kpass/cmd_keys.c
KPASS_SRCS += src/kpass/cmd_menu.c
KPASS_SRCS += src/kpass/cmd_office.c
KPASS_SRCS += src/kpass/cmd_partner.c
KPASS_SRCS += src/kpass/cmd_phone.c
KPASS_SRCS += src/kpass/cmd_qr.c
KPASS_SRCS += src/kpass/cmd_service.c
KPASS_SRCS += src/kpass/cmd_staff.c
KPASS_SRCS += src/kpass/cmd_sms.c
KPASS_SRCS += src/kpass/dir_rows.c
KPASS_SRCS += src/kpass/main.c
# Private to kpass, but in libkpass.a so that the Check suite and the fuzz
# targets can reach them: `kpass import citizens`' line reader (see
# citizen_csv.h) and `kpass desk`'s HTTP client, answers and views (see
# http_client.h, desk_client.h).
SRCS += src/kpass/citizen_csv.c
SRCS += src/kpass/desk_client.c
SRCS += src/kpass/desk_image.c
SRCS += src/kpass/desk_view.c
SRCS += src/kpass/http_client.c
