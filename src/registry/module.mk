# registry: the citizen registry above the store (CNIC index, sealed box, last 4 digits)
SRCS += src/registry/citizen.c
