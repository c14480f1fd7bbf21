# audit: the audit chain's keyed hash above the store (append, verify)
SRCS += src/audit/chain.c
