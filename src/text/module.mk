# text: the text codecs (UTF-8, GSM 03.38, UCS-2); pure, below every module
# that carries text (menu, sms, store, ussd)
SRCS += src/text/gsm7.c
SRCS += src/text/text.c
