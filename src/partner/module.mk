# partner: SMPP partners as the programs see them (the store's rows mapped to the link layer's configuration)
SRCS += src/partner/partner.c
SRCS += src/partner/slots.c
