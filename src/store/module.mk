# store: SQLite open, pragmas, migrations, prepared statements; one file per table family
SRCS += src/store/audit.c
SRCS += src/store/citizen.c
SRCS += src/store/citizen_fields.c
SRCS += src/store/partner.c
SRCS += src/store/schema.c
SRCS += src/store/store.c
