# kpass: the command-line tool.  main.c dispatches to the subcommands
# (cli.h); cmd/ holds one file per subcommand, desk/ the desk client (its
# HTTP client, answers, views and images), bench/ the load generators
# (kpass bench, its USSD mode, the phone simulator).
KPASS_SRCS += src/kpass/main.c
KPASS_SRCS += src/kpass/bench/bench.c
KPASS_SRCS += src/kpass/bench/bench_ussd.c
KPASS_SRCS += src/kpass/bench/cmd_bench.c
KPASS_SRCS += src/kpass/bench/cmd_phone.c
KPASS_SRCS += src/kpass/cmd/cmd_app.c
KPASS_SRCS += src/kpass/cmd/cmd_audit.c
KPASS_SRCS += src/kpass/cmd/cmd_backup.c
KPASS_SRCS += src/kpass/cmd/cmd_move.c
KPASS_SRCS += src/kpass/cmd/cmd_citizen.c
KPASS_SRCS += src/kpass/cmd/cmd_department.c
KPASS_SRCS += src/kpass/cmd/cmd_desk.c
KPASS_SRCS += src/kpass/cmd/cmd_import.c
KPASS_SRCS += src/kpass/cmd/cmd_import_citizens.c
KPASS_SRCS += src/kpass/cmd/cmd_init.c
KPASS_SRCS += src/kpass/cmd/cmd_keys.c
KPASS_SRCS += src/kpass/cmd/cmd_menu.c
KPASS_SRCS += src/kpass/cmd/cmd_office.c
KPASS_SRCS += src/kpass/cmd/cmd_partner.c
KPASS_SRCS += src/kpass/cmd/cmd_qr.c
KPASS_SRCS += src/kpass/cmd/cmd_receipt.c
KPASS_SRCS += src/kpass/cmd/cmd_service.c
KPASS_SRCS += src/kpass/cmd/cmd_service_check.c
KPASS_SRCS += src/kpass/cmd/cmd_staff.c
KPASS_SRCS += src/kpass/cmd/cmd_simswap.c
KPASS_SRCS += src/kpass/cmd/cmd_sms.c
KPASS_SRCS += src/kpass/cmd/cmd_webhook.c
KPASS_SRCS += src/kpass/cmd/dir_rows.c
# Private to kpass, but in libkpass.a so that the Check suite and the fuzz
# targets can reach them: `kpass import citizens`' line reader (see
# cmd/citizen_csv.h) and `kpass desk`'s HTTP client, answers and views (see
# desk/http_client.h, desk/desk_client.h).
SRCS += src/kpass/cmd/citizen_csv.c
SRCS += src/kpass/desk/desk_client.c
SRCS += src/kpass/desk/desk_image.c
SRCS += src/kpass/desk/desk_view.c
SRCS += src/kpass/desk/http_client.c
