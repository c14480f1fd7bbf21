# http: the desk API, metrics and health over libevent's evhttp
SRCS += src/http/request.c
