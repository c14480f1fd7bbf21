# id: CNIC and MSISDN rules, Base45, keys, the KP1 token, receipts, QR codes
SRCS += src/id/base45.c
SRCS += src/id/cnic.c
SRCS += src/id/msisdn.c
SRCS += src/id/otp.c
SRCS += src/id/trust.c
SRCS += src/id/keys.c
SRCS += src/id/kp1.c
SRCS += src/id/receipt.c
SRCS += src/id/qr.c
SRCS += src/id/qr_scan.c
