/* SPDX-License-Identifier: ISC */
/*
 * Where a citizen's identity was used (issue 15), read from the audit log,
 * and "It was not me" on one of those uses.  A use is a verification
 * completed at a desk (desk.verified) or a code issued without a desk
 * (code.issued, a code the caller asked for over USSD): the codes a desk
 * sends belong to that desk's verification, which is listed itself.  The
 * same list serves the citizen on *789# and the operator in
 * `kpass audit show --cnic`.
 *
 * verify_dispute_flag is the one way a use is flagged, so that any
 * channel ("was this you?" pushes too) audits, counts and answers the
 * citizen the same way.
 */
#ifndef KPASS_VERIFY_USES_H
#define KPASS_VERIFY_USES_H

#include <stdint.h>

#include "kpass/store/citizen.h"
#include "kpass/store/store.h"

#define VERIFY_USES_MAX 5 /* what the citizen is shown */

enum verify_use_kind {
    VERIFY_USE_DESK = 0, /* verified at a desk */
    VERIFY_USE_CODE,     /* a code issued (over USSD) */
};

struct verify_use {
    int64_t audit_id; /* the audit row the use is read from */
    int64_t at;       /* Unix seconds */
    enum verify_use_kind kind;
    char office[16];  /* office code ("" for a code) */
    char purpose[32]; /* purpose code (codes_purposes()), "" when the row has none */
};

/* "desk" or "code". */
const char *verify_use_kind_name(enum verify_use_kind k);

/*
 * The newest uses (at most max) of the identity whose CNIC index is
 * subject, newest first, into out.  Returns how many, or -KP_ERR_DB.
 * Reads a bounded number of the subject's audit rows.
 */
int verify_uses_list(struct store *st, const uint8_t subject[32], struct verify_use *out, int max);

/*
 * The use read from audit row audit_id, when that row is a use of
 * subject's identity.  0, -KP_ERR_NOTFOUND (no such row, another
 * identity's, or not a use), -KP_ERR_DB.
 */
int verify_use_get(struct store *st, const uint8_t subject[32], int64_t audit_id,
                   struct verify_use *out);

/*
 * "It was not me": citizen c flags use u (one of c's, as verify_use_get
 * read it).  In one transaction: an audit row identity.disputed
 * ("use N desk.verified office O"), and an SMS to c's first number, in
 * lang ("en", "ur", "ps", "ur-Latn"; others read as "en"), telling them
 * what to do (suspend the card on *789#, visit an office).  Then counted
 * (verify_dispute_count) and logged without the citizen's data.  actor is
 * the audit row's ("ussd", "push:<dept>", ...).  0, -KP_ERR_STATE (no audit
 * key), -KP_ERR_DB.
 */
int verify_dispute_flag(struct store *st, const struct store_citizen *c, const struct verify_use *u,
                        const char *lang, const char *actor, int64_t now);

/* Uses flagged since the process started (kpass_identity_disputes_total). */
uint64_t verify_dispute_count(void);

#endif
