# kpass: the command-line tool (entry point and one file per subcommand)
KPASS_SRCS += src/kpass/main.c
