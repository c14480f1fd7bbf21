# ussd: profiles, the dialog table, the built-ins and the funnel
SRCS += src/ussd/profile.c
SRCS += src/ussd/dialog.c
SRCS += src/ussd/dialog_cache.c
SRCS += src/ussd/builtins.c
SRCS += src/ussd/builtins_id.c
SRCS += src/ussd/builtins_text.c
SRCS += src/ussd/funnel.c
SRCS += src/ussd/builtins_controls.c
SRCS += src/ussd/app_proto.c
SRCS += src/ussd/app.c
SRCS += src/ussd/push.c
SRCS += src/ussd/simswap.c
