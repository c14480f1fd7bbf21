# menu: the menu language (lexer, parser, checker, engine, renderer, state, DOT, transcripts)
SRCS += src/menu/check.c
SRCS += src/menu/check_pages.c
SRCS += src/menu/check_vars.c
SRCS += src/menu/clauses.c
SRCS += src/menu/dot.c
SRCS += src/menu/engine.c
SRCS += src/menu/graph.c
SRCS += src/menu/lexer.c
SRCS += src/menu/parser.c
SRCS += src/menu/render.c
SRCS += src/menu/result.c
SRCS += src/menu/screen.c
SRCS += src/menu/state.c
SRCS += src/menu/transcript.c
SRCS += src/menu/validate.c
