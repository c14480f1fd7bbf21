/* SPDX-License-Identifier: ISC */
/*
 * Dialog state: where one dialog is (graph version, screen, page, back
 * stack, language, variables) and its compact byte encoding, stored by the
 * caller on every hop (kpass-menu(5) "DIALOG STATE").  The encoding is
 * canonical, so decode-then-encode gives the same bytes; decoding refuses
 * anything else.  Sensitive values are never encoded.
 *
 *   u8 format (1) | 16 graph digest | screen | pos | next+1 | u8 lang |
 *   u8 flags | [u32 LE list hash] | u8 depth, depth x (screen, pos) |
 *   count, count x (var, len, len bytes of UTF-8)
 *
 * Numbers without a width are unsigned LEB128 varints of at most 5 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/text/text.h"
#include "menu_internal.h"

#define STATE_FORMAT   1
#define STATE_VARS_MAX 1024

struct menu_state *menu_state_new(void)
{
    struct menu_state *st = kp_calloc(1, sizeof(*st));

    menu_state_clear(st);
    return st;
}

void menu_state_free(struct menu_state *st)
{
    if (st == NULL)
        return;
    free(st->slots);
    kp_buf_free(&st->values);
    free(st);
}

void menu_state_clear(struct menu_state *st)
{
    memset(st->digest, 0, sizeof(st->digest));
    st->version[0] = '\0';
    st->screen = 0;
    st->pos = 0;
    st->next = MENU_NONE;
    st->lang = MENU_LANG_EN;
    st->flags = 0;
    st->list_hash = 0;
    st->nhist = 0;
    st->nslots = 0;
    kp_buf_reset(&st->values);
}

static size_t slot_find(const struct menu_state *st, uint32_t var, int *found)
{
    size_t lo = 0, hi = st->nslots;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (st->slots[mid].var < var)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < st->nslots && st->slots[lo].var == var;
    return lo;
}

const char *menu_state_value(const struct menu_state *st, uint32_t var, size_t *len)
{
    int found;
    size_t i = slot_find(st, var, &found);

    if (!found)
        return NULL;
    *len = st->slots[i].len;
    return st->values.data + st->slots[i].off;
}

/* Rewrite values with only the live ones when garbage dominates. */
static void values_compact(struct menu_state *st)
{
    struct kp_buf b = KP_BUF_INIT;
    size_t live = 0;

    for (size_t i = 0; i < st->nslots; i++)
        live += st->slots[i].len + 1;
    if (st->values.len < 4096 || st->values.len < 2 * live)
        return;
    kp_buf_reserve(&b, live);
    for (size_t i = 0; i < st->nslots; i++) {
        uint32_t off = (uint32_t)b.len;
        kp_buf_append(&b, st->values.data + st->slots[i].off, st->slots[i].len);
        kp_buf_putc(&b, '\0');
        st->slots[i].off = off;
    }
    kp_buf_free(&st->values);
    st->values = b;
}

void menu_state_set(struct menu_state *st, uint32_t var, const char *v, size_t len, int sensitive)
{
    int found;
    size_t i = slot_find(st, var, &found);

    if (len > MENU_VALUE_MAX) { /* cut on a character boundary */
        len = MENU_VALUE_MAX;
        while (len > 0 && ((uint8_t)v[len] & 0xc0) == 0x80)
            len--;
    }
    if (!found) {
        st->slots = kp_grow(st->slots, &st->cap_slots, st->nslots + 1, sizeof(*st->slots));
        memmove(&st->slots[i + 1], &st->slots[i], (st->nslots - i) * sizeof(*st->slots));
        st->nslots++;
        st->slots[i].var = var;
        st->slots[i].len = 0;
        st->slots[i].off = MENU_NONE;
    }
    if (st->slots[i].off != MENU_NONE && len <= st->slots[i].len) {
        memmove(st->values.data + st->slots[i].off, v, len);
        st->values.data[st->slots[i].off + len] = '\0';
    } else {
        st->slots[i].off = (uint32_t)st->values.len;
        kp_buf_append(&st->values, v, len);
        kp_buf_putc(&st->values, '\0');
    }
    st->slots[i].len = (uint32_t)len;
    st->slots[i].sensitive = (uint8_t)(sensitive != 0);
    values_compact(st);
}

void menu_state_unset(struct menu_state *st, uint32_t var)
{
    int found;
    size_t i = slot_find(st, var, &found);

    if (!found)
        return;
    memmove(&st->slots[i], &st->slots[i + 1], (st->nslots - i - 1) * sizeof(*st->slots));
    st->nslots--;
}

void menu_state_drop_sensitive(struct menu_state *st)
{
    size_t k = 0;

    for (size_t i = 0; i < st->nslots; i++) {
        if (st->slots[i].sensitive) {
            /* wipe the value too: it must not linger in memory we keep */
            memset(st->values.data + st->slots[i].off, 0, st->slots[i].len);
            continue;
        }
        st->slots[k++] = st->slots[i];
    }
    st->nslots = k;
}

/* ---- encoding ---- */

static void put_varint(struct kp_buf *b, uint32_t v)
{
    uint8_t tmp[5];
    size_t n = 0;

    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    kp_buf_append(b, tmp, n);
}

int menu_state_encode(const struct menu_state *st, struct kp_buf *out)
{
    size_t start = out->len, nvars = 0;
    uint8_t head[2 + MENU_VERSION_LEN];

    head[0] = STATE_FORMAT;
    memcpy(head + 1, st->digest, MENU_VERSION_LEN);
    kp_buf_append(out, head, 1 + MENU_VERSION_LEN);
    put_varint(out, st->screen);
    put_varint(out, st->pos);
    put_varint(out, st->next == MENU_NONE ? 0 : st->next + 1);
    head[0] = st->lang;
    head[1] = st->flags;
    kp_buf_append(out, head, 2);
    if (st->flags & MST_LIST) {
        uint8_t h[4] = {(uint8_t)st->list_hash, (uint8_t)(st->list_hash >> 8),
                        (uint8_t)(st->list_hash >> 16), (uint8_t)(st->list_hash >> 24)};
        kp_buf_append(out, h, 4);
    }
    kp_buf_putc(out, (char)st->nhist);
    for (size_t i = 0; i < st->nhist; i++) {
        put_varint(out, st->hist[i].screen);
        put_varint(out, st->hist[i].pos);
    }
    for (size_t i = 0; i < st->nslots; i++)
        nvars += !st->slots[i].sensitive;
    put_varint(out, (uint32_t)nvars);
    for (size_t i = 0; i < st->nslots; i++) {
        const struct menu_slot *s = &st->slots[i];
        if (s->sensitive)
            continue;
        put_varint(out, s->var);
        put_varint(out, s->len);
        kp_buf_append(out, st->values.data + s->off, s->len);
    }
    return (int)(out->len - start);
}

struct reader {
    const uint8_t *p, *end;
    int bad;
};

static uint8_t get_u8(struct reader *r)
{
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

/* A minimal LEB128 varint of at most 32 bits. */
static uint32_t get_varint(struct reader *r)
{
    uint64_t v = 0;

    for (int i = 0; i < 5; i++) {
        uint8_t b = get_u8(r);
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if ((i > 0 && b == 0) || v > UINT32_MAX)
                r->bad = 1; /* not minimal, or too large */
            return (uint32_t)v;
        }
    }
    r->bad = 1;
    return 0;
}

static void hex_of(const uint8_t *d, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static int decode_vars(struct menu_state *st, struct reader *r)
{
    uint32_t n = get_varint(r), prev = 0;

    if (r->bad || n > STATE_VARS_MAX)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t var = get_varint(r), len = get_varint(r);
        if (r->bad || var == MENU_VAR_LANG || (i > 0 && var <= prev) || len > MENU_VALUE_MAX ||
            len > (size_t)(r->end - r->p))
            return -1;
        if (memchr(r->p, '\0', len) || text_utf8_valid((const char *)r->p, len) < 0)
            return -1;
        menu_state_set(st, var, (const char *)r->p, len, 0);
        r->p += len;
        prev = var;
    }
    return 0;
}

int menu_state_decode(struct menu_state *st, const uint8_t *data, size_t len)
{
    struct reader r = {data, data + len, 0};
    uint32_t next;

    menu_state_clear(st);
    if (get_u8(&r) != STATE_FORMAT || len < 1 + MENU_VERSION_LEN)
        goto bad;
    memcpy(st->digest, r.p, MENU_VERSION_LEN);
    r.p += MENU_VERSION_LEN;
    st->screen = get_varint(&r);
    st->pos = get_varint(&r);
    next = get_varint(&r);
    st->next = next == 0 ? MENU_NONE : next - 1;
    st->lang = get_u8(&r);
    st->flags = get_u8(&r);
    if (r.bad || st->lang >= MENU_LANG_MAX || (st->flags & ~MST__ALL))
        goto bad;
    if (st->flags & MST_LIST) {
        for (int i = 0; i < 4; i++)
            st->list_hash |= (uint32_t)get_u8(&r) << (8 * i);
    }
    st->nhist = get_u8(&r);
    if (r.bad || st->nhist > MENU_HISTORY_MAX)
        goto bad;
    for (size_t i = 0; i < st->nhist; i++) {
        st->hist[i].screen = get_varint(&r);
        st->hist[i].pos = get_varint(&r);
    }
    if (r.bad || decode_vars(st, &r) < 0 || r.p != r.end)
        goto bad;
    if (st->flags & MST_BEGUN)
        hex_of(st->digest, MENU_VERSION_LEN, st->version);
    return 0;
bad:
    menu_state_clear(st);
    return -KP_ERR_PARSE;
}

/* ---- accessors ---- */

const char *menu_state_version(const struct menu_state *st)
{
    return st->version;
}

int menu_state_resumable(const struct menu_state *st)
{
    return (st->flags & (MST_BEGUN | MST_ENDED | MST_NORESUME)) == MST_BEGUN;
}

int menu_state_resuming(const struct menu_state *st)
{
    return (st->flags & (MST_BEGUN | MST_ENDED | MST_RESUME)) == (MST_BEGUN | MST_RESUME);
}

int menu_state_ended(const struct menu_state *st)
{
    return (st->flags & MST_ENDED) != 0;
}

enum menu_lang menu_state_lang(const struct menu_state *st)
{
    return (enum menu_lang)st->lang;
}

const char *menu_state_screen(const struct menu_state *st, const struct menu_graph *g)
{
    if (!(st->flags & MST_BEGUN) || st->screen >= g->nscreens)
        return NULL;
    return GSTR(g, g->screens[st->screen].name);
}

const char *menu_state_get(const struct menu_state *st, const struct menu_graph *g,
                           const char *name)
{
    uint32_t var = menu_var_find(g, name, strlen(name));
    size_t len;

    if (var == MENU_VAR_LANG)
        return menu_lang_name((enum menu_lang)st->lang);
    if (var == MENU_NONE)
        return NULL;
    return menu_state_value(st, var, &len);
}
