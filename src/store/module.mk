# store: SQLite open, pragmas, migrations, prepared statements; one file per table family
SRCS += src/store/audit.c
SRCS += src/store/backup.c
SRCS += src/store/checkpoint.c
SRCS += src/store/citizen.c
SRCS += src/store/citizen_fields.c
SRCS += src/store/credential.c
SRCS += src/store/desk.c
SRCS += src/store/dialog.c
SRCS += src/store/directory.c
SRCS += src/store/directory_list.c
SRCS += src/store/otp.c
SRCS += src/store/partner.c
SRCS += src/store/schema.c
SRCS += src/store/sms.c
SRCS += src/store/staff.c
SRCS += src/store/store.c
SRCS += src/store/verification.c
