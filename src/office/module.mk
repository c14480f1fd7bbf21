# office: desks and staff above the store (desk tokens and their keyed hash, the audit rule)
SRCS += src/office/desk.c
