/* SPDX-License-Identifier: ISC */
/*
 * A small INI reader driven by a table of known keys.
 *
 *   [section]
 *   key = value          # full-line comments only ('#' or ';' first):
 *                        # values such as "*789#" keep their '#'
 *
 * Every problem is reported as "file:line: reason" into the error buffer and
 * parsing keeps going, so one run names every error (OpenSMTPD's parse.y
 * habit).  Unknown sections and keys are errors; a key given twice is an
 * error unless it is a list.  Pure: the caller reads the file.
 *
 * Core knows the syntax and the kinds of value, not the keys: each module
 * declares its section as a struct conf_table (keys, defaults) over a
 * settings struct of its own, and the programs hand the list of sections
 * (struct conf_section: a table and the struct it fills) down to the
 * parser, so that core depends on no module.
 */
#ifndef KPASS_CONF_H
#define KPASS_CONF_H

#include <stddef.h>

#include "kpass/core/buf.h"
#include "kpass/core/log.h" /* KP_PRINTF */

enum conf_kind {
    CONF_STRING,   /* char * (owned by the target; freed by its owner) */
    CONF_TEXT,     /* char[max] in the target: at most max - 1 bytes, NUL-terminated */
    CONF_UINT,     /* unsigned, within [min, max] */
    CONF_DURATION, /* unsigned milliseconds: "250ms", "10s", "2m", "1h"; bare number = seconds */
    CONF_SECONDS,  /* unsigned whole seconds (ms / 1000); written and bounded as CONF_DURATION */
    CONF_BOOL,     /* int: yes/no, true/false, on/off, 1/0 */
    CONF_CHOICE,   /* int: index into choices[] */
    CONF_ADDR,     /* struct kp_addr[max]; count (int) at count_off; may repeat; "a, b" lists */
};

struct conf_key {
    const char *section;
    const char *name;
    enum conf_kind kind;
    size_t off;
    unsigned long min, max;     /* CONF_UINT/CONF_DURATION bounds; CONF_ADDR: max entries */
    const char *const *choices; /* CONF_CHOICE: NULL-terminated */
    size_t count_off;           /* CONF_ADDR: offset of the int count */
};

/* What a section's check sees: where each of its keys was set, and where
   to report.  conf_report_line and conf_report use it. */
struct conf_report {
    const char *file;
    struct kp_buf *err;
    const struct conf_table *table;
    const unsigned *lines; /* per key of table: the line it was set on, 0: default */
    int errors;
};

/* A module's section of the file: its keys (each naming the section), the
   function that writes their defaults into the module's settings, and the
   checks across keys (and derived fields) run after every parse. */
struct conf_table {
    const char *section;
    const struct conf_key *keys;
    size_t nkeys;
    void (*defaults)(void *set);
    void (*check)(void *set, struct conf_report *r); /* may be NULL */
};

/* The line key (of r's table) was set on; 0 when it was not. */
unsigned conf_report_line(const struct conf_report *r, const char *key);
/* Append "file:line: message" to r's errors (line as the caller found it). */
void conf_report(struct conf_report *r, unsigned line, const char *fmt, ...) KP_PRINTF(3, 4);

/* One section as a program assembles the list: a table, the struct it fills. */
struct conf_section {
    const struct conf_table *table;
    void *set;
};

/*
 * Parse text against every section of secs[0..nsecs), each key writing
 * into its own section's struct.  Errors, return value and lines as
 * conf_parse, lines[] numbered over the sections' keys in order.
 */
int conf_parse_sections(const struct conf_section *secs, size_t nsecs, const char *file,
                        const char *text, size_t len, struct kp_buf *err, unsigned *lines);

/*
 * Parse text (len bytes, need not be NUL-terminated) named file against
 * keys[0..nkeys), writing values into target.  Appends one line per error to
 * err.  When lines is not NULL, lines[i] receives the line keys[i] was set
 * on (0 when absent), for checks that span several keys.  Returns 0, or
 * -KP_ERR_CONFIG when any error was found.
 */
int conf_parse(const struct conf_key *keys, size_t nkeys, void *target, const char *file,
               const char *text, size_t len, struct kp_buf *err, unsigned *lines);

/* Parse "10s" etc. into milliseconds; 0 or -KP_ERR_PARSE. */
int conf_duration_parse(const char *s, unsigned long long *ms);
/* ms in the largest unit that states it exactly ("10m", "1500ms", "24h"),
   as an operator would write it in the file. */
void conf_duration_format(unsigned long long ms, char *out, size_t size);

#endif
