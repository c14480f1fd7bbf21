# office: desks and staff above the store (desk tokens, PIN hashing, lockout, the audit rule)
SRCS += src/office/desk.c
SRCS += src/office/staff.c
