# http: the desk API, metrics and health over libevent's evhttp
SRCS += src/http/conn.c
SRCS += src/http/request.c
SRCS += src/http/desk.c
SRCS += src/http/receipts.c
SRCS += src/http/metrics.c
SRCS += src/http/notices.c
SRCS += src/http/webhook.c
SRCS += src/http/server.c
SRCS += src/http/simswap.c
