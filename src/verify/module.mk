# verify: the verification service: one-time codes, the credential check, the desk workflow
SRCS += src/verify/codes.c
SRCS += src/verify/credential.c
SRCS += src/verify/desk.c
SRCS += src/verify/receipt.c
SRCS += src/verify/uses.c
