# sms: text splitting, delivery receipts, the outbox state machine and dispatcher
SRCS += src/sms/sms.c
SRCS += src/sms/concat.c
SRCS += src/sms/outbox.c
