# ussd: text codecs (GSM 03.38, UCS-2)
SRCS += src/ussd/gsm7.c
SRCS += src/ussd/text.c
SRCS += src/ussd/profile.c
SRCS += src/ussd/dialog.c
SRCS += src/ussd/builtins.c
SRCS += src/ussd/builtins_id.c
SRCS += src/ussd/funnel.c
