# smpp: PDU framing and codec (over libsmpp34), link state machine, listener,
# outbound binds, windowing and throttling
SRCS += src/smpp/client.c
SRCS += src/smpp/encode.c
SRCS += src/smpp/fsm.c
SRCS += src/smpp/hub.c
SRCS += src/smpp/link.c
SRCS += src/smpp/pdu.c
SRCS += src/smpp/server.c
SRCS += src/smpp/sm.c
SRCS += src/smpp/throttle.c
SRCS += src/smpp/tlv.c
