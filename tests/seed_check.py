#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Validates the services-directory seed data in etc/seed/ (departments,
services, districts, offices, demo citizens) before kpass imports it:
encoding and RFC 4180 form, header columns, unique codes, references
between files, length limits that keep texts on one USSD screen, GSM 03.38
safe English, Urdu and Pashto in Arabic script, and the formats of fees,
hours, phones, CNICs and MSISDNs.  Standard library only (python3 >= 3.9).

  python3 tests/seed_check.py [DIR]          check DIR (default etc/seed)
  python3 tests/seed_check.py --real-data DIR
                   skip the checks that only hold for the shipped sample
                   data (sample phone pattern, fictitious CNICs, counts)
  python3 tests/seed_check.py --self-test    break a copy of the seed data
                   in known ways and make sure every break is caught

Exit status: 0 when there are no errors (warnings allowed), 1 otherwise.
"""

import csv
import io
import os
import re
import shutil
import sys
import tempfile

FILES = {
    "departments.csv": ["code", "name_en", "name_ur", "name_ps"],
    "services.csv": ["code", "department", "name_en", "name_ur", "name_ps",
                     "description_en", "description_ur", "fee", "documents",
                     "processing_time", "where_to_apply", "online", "ussd"],
    "districts.csv": ["code", "name_en", "name_ur", "name_ps", "division"],
    "offices.csv": ["code", "district", "name_en", "name_ur", "address",
                    "hours", "phone", "services"],
    "citizens.csv": ["cnic", "name_en", "name_ur", "district", "msisdn",
                     "status"],
}
# Optional files (issue 11): checked when present.
OPTIONAL = {
    "translations.csv": ["kind", "code", "field", "lang", "text"],
    "distances.csv": ["district", "near", "km"],
}
TR_FIELDS = {"department": {"name"}, "district": {"name"},
             "service": {"name", "description", "documents", "where",
                         "keywords"},
             "office": {"name", "address"}}

# English length limits (characters; English fields are GSM 7-bit so one
# character is one septet).  A USSD screen holds about 182 septets.
MAXLEN = {
    ("departments.csv", "name_en"): 30,
    ("services.csv", "name_en"): 32,
    ("services.csv", "description_en"): 160,
    ("services.csv", "documents"): 80,
    ("services.csv", "where_to_apply"): 40,
    ("districts.csv", "name_en"): 30,
    ("offices.csv", "name_en"): 40,
    ("offices.csv", "address"): 80,
    ("citizens.csv", "name_en"): 40,
}
# Urdu and Pashto go out as UCS-2, 80 characters a screen including option
# numbers: names should stay within 25 (a warning), descriptions within two
# screens (an error).
UR_NAME_SOFT = 25
UR_DESC_MAX = 160

DIVISIONS = {"Peshawar", "Mardan", "Malakand", "Hazara", "Kohat", "Bannu",
             "Dera Ismail Khan"}
STATUSES = {"active", "blocked", "deceased"}
YESNO = {"yes", "no"}

# 3GPP TS 23.038 §6.2.1: the printable ASCII characters of the GSM 7-bit
# default alphabet's basic table.  [ \ ] ^ { | } ~ are only in the extension
# table (two septets each, and some handsets drop them); ` is not in GSM at
# all.  English fields must use this set only.
GSM_BASIC_ASCII = set(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    " !\"#$%&'()*+,-./:;<=>?@_")

CODE_RE = re.compile(r"^[A-Z0-9]{2,8}$")
FEE_RE = re.compile(r"^(Free|Varies|Rs [1-9][0-9]{0,6})$")
TIME_RE = re.compile(r"^(Same day|Varies|[1-9][0-9]? (hours|days|weeks))$")
HOURS_RE = re.compile(r"^(Mon-Fri|Mon-Sat|Daily) "
                      r"([01][0-9]|2[0-3]):([0-5][0-9])-"
                      r"([01][0-9]|2[0-3]):([0-5][0-9])$")
# Pakistani landline, area code with trunk 0, 10 digits in all.
PHONE_RE = re.compile(r"^0[1-9][0-9]{1,2}-[0-9]{6,7}$")
CNIC_RE = re.compile(r"^1[0-9]{4}-[0-9]{7}-[0-9]$")  # 1 = Khyber Pakhtunkhwa
MSISDN_RE = re.compile(r"^\+923[0-9]{9}$")           # E.164, Pakistan mobile
SAMPLE_CNIC_PREFIX = "10000-"                        # no such NADRA region

# Letters Urdu never uses: Arabic kaf, yeh, heh and alef maksura, where Urdu
# has keheh ک (U+06A9), farsi yeh ی (U+06CC) and heh goal ہ (U+06C1).
URDU_FORBIDDEN = {"\u0643": "Arabic kaf (use \u06a9)",
                  "\u064a": "Arabic yeh (use \u06cc)",
                  "\u0647": "Arabic heh (use \u06c1 or \u06be)",
                  "\u0649": "alef maksura (use \u06cc)"}
# Urdu letters standard Pashto spells differently (ټ ډ ړ ګ ه).
PASHTO_FORBIDDEN = {"\u0679": "Urdu tteh (Pashto \u067c)",
                    "\u0688": "Urdu ddal (Pashto \u0689)",
                    "\u0691": "Urdu rreh (Pashto \u0693)",
                    "\u06af": "gaf (Pashto \u06ab)",
                    "\u06c1": "heh goal (Pashto \u0647)",
                    "\u06be": "do-chashmi heh",
                    "\u06d2": "yeh barree"}
BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                    "\u2066\u2067\u2068\u2069\u061c")
SCRIPT_PUNCT = set(" ()-/.:0123456789\u060c\u061b\u061f\u06d4\u0640")


def is_arabic(ch):
    o = ord(ch)
    return (0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or
            0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF)


class Report:
    def __init__(self):
        self.errors = []
        self.warnings = []

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def warn(self, where, msg):
        self.warnings.append(f"{where}: {msg}")


def read_table(path, name, rep):
    """Return (header, [(lineno, row dict)]) or None when unreadable."""
    where = name
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        rep.err(where, f"cannot read: {e.strerror}")
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        rep.err(where, "starts with a UTF-8 BOM")
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        rep.err(where, f"not valid UTF-8 at byte {e.start}")
        return None
    if "\r" in text:
        rep.err(where, "contains CR; line ends must be LF only")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        rep.err(where, "does not end with a newline")
        text += "\n"
    lines = text[:-1].split("\n")
    header = None
    rows = []
    for lineno, line in enumerate(lines, 1):
        loc = f"{name}:{lineno}"
        if line == "":
            rep.err(loc, "empty line")
            continue
        try:
            rec = next(csv.reader([line], strict=True))
        except csv.Error as e:
            rep.err(loc, f"not RFC 4180 CSV: {e}")
            continue
        canon = io.StringIO()
        csv.writer(canon, lineterminator="\n").writerow(rec)
        if canon.getvalue()[:-1] != line:
            rep.err(loc, "quoting is not minimal RFC 4180 "
                    "(quote only fields with a comma or a quote)")
        if header is None:
            header = rec
            if rec != FILES[name]:
                rep.err(loc, f"header is {','.join(rec)}; "
                        f"expected {','.join(FILES[name])}")
                return None
            continue
        if len(rec) != len(header):
            rep.err(loc, f"{len(rec)} fields; the header has {len(header)}")
            continue
        rows.append((lineno, dict(zip(header, rec))))
    if header is None:
        rep.err(where, "empty file")
        return None
    return header, rows


def check_text(rep, loc, col, v):
    if v != v.strip():
        rep.err(loc, f"{col}: leading or trailing space")
    if "  " in v:
        rep.err(loc, f"{col}: double space")
    for ch in v:
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            rep.err(loc, f"{col}: control character U+{ord(ch):04X}")
            return
        if ch in BIDI_CONTROLS:
            rep.err(loc, f"{col}: bidi control U+{ord(ch):04X}")
            return


def check_english(rep, loc, col, v, maxlen=None, required=True):
    if not v:
        if required:
            rep.err(loc, f"{col}: empty")
        return
    bad = sorted({ch for ch in v if ch not in GSM_BASIC_ASCII})
    if bad:
        shown = " ".join(f"U+{ord(c):04X}" for c in bad)
        rep.err(loc, f"{col}: not GSM 7-bit basic ASCII: {shown}")
    if maxlen is not None and len(v) > maxlen:
        rep.err(loc, f"{col}: {len(v)} characters, longer than {maxlen}")


def check_script(rep, loc, col, v, forbidden, lang):
    letters = 0
    for ch in v:
        if is_arabic(ch):
            if ch in forbidden:
                rep.err(loc, f"{col}: {lang} text uses {forbidden[ch]}")
                return
            if ch.isalpha():
                letters += 1
        elif ch.isascii() and ch.isalpha():
            rep.err(loc, f"{col}: Latin letter {ch!r} in {lang} text")
            return
        elif ch not in SCRIPT_PUNCT:
            rep.err(loc, f"{col}: unexpected character U+{ord(ch):04X} "
                    f"in {lang} text")
            return
    if letters == 0:
        rep.err(loc, f"{col}: no Arabic-script letters in {lang} text")


def check_urdu(rep, loc, col, v, required, soft=None, hard=None):
    if not v:
        if required:
            rep.err(loc, f"{col}: empty (Urdu names are required)")
        return
    check_script(rep, loc, col, v, URDU_FORBIDDEN, "Urdu")
    if hard is not None and len(v) > hard:
        rep.err(loc, f"{col}: {len(v)} characters, longer than {hard}")
    elif soft is not None and len(v) > soft:
        rep.warn(loc, f"{col}: {len(v)} characters, more than {soft}")


def check_pashto(rep, loc, col, v):
    if v:
        check_script(rep, loc, col, v, PASHTO_FORBIDDEN, "Pashto")
        if len(v) > UR_NAME_SOFT:
            rep.warn(loc, f"{col}: {len(v)} characters, more than "
                     f"{UR_NAME_SOFT}")


def check_codes(rep, name, rows, col="code"):
    seen = {}
    for lineno, r in rows:
        loc = f"{name}:{lineno}"
        c = r[col]
        if col == "code" and not CODE_RE.match(c):
            rep.err(loc, f"{col}: {c!r} is not 2-8 of A-Z and 0-9")
        if c in seen:
            rep.err(loc, f"{col}: duplicate {c!r} (first on line {seen[c]})")
        else:
            seen[c] = lineno
    return set(seen)


def check_row_common(rep, name, lineno, r):
    loc = f"{name}:{lineno}"
    for col, v in r.items():
        check_text(rep, loc, col, v)
    if "name_en" in r:
        check_english(rep, loc, "name_en", r["name_en"],
                      MAXLEN.get((name, "name_en")))
    if "name_ur" in r:
        check_urdu(rep, loc, "name_ur", r["name_ur"], True, soft=UR_NAME_SOFT)
    if "name_ps" in r:
        check_pashto(rep, loc, "name_ps", r["name_ps"])
    return loc


def check_departments(rep, rows):
    for lineno, r in rows:
        check_row_common(rep, "departments.csv", lineno, r)
    return check_codes(rep, "departments.csv", rows)


def check_districts(rep, rows):
    for lineno, r in rows:
        loc = check_row_common(rep, "districts.csv", lineno, r)
        if r["division"] not in DIVISIONS:
            rep.err(loc, f"division: {r['division']!r} is not a KP division")
    return check_codes(rep, "districts.csv", rows)


def check_services(rep, rows, depts):
    n = "services.csv"
    for lineno, r in rows:
        loc = check_row_common(rep, n, lineno, r)
        if r["department"] not in depts:
            rep.err(loc, f"department: unknown department "
                    f"{r['department']!r}")
        for col in ("description_en", "documents", "where_to_apply"):
            check_english(rep, loc, col, r[col], MAXLEN[(n, col)])
        check_urdu(rep, loc, "description_ur", r["description_ur"], False,
                   hard=UR_DESC_MAX)
        if not FEE_RE.match(r["fee"]):
            rep.err(loc, f"fee: {r['fee']!r} is not Free, Varies or Rs N")
        if not TIME_RE.match(r["processing_time"]):
            rep.err(loc, f"processing_time: {r['processing_time']!r} is not "
                    "'Same day', 'Varies' or 'N hours/days/weeks'")
        docs = r["documents"].split("; ")
        if any(not d or ";" in d for d in docs):
            rep.err(loc, "documents: list items must be separated by '; '")
        for col in ("online", "ussd"):
            if r[col] not in YESNO:
                rep.err(loc, f"{col}: {r[col]!r} must be yes or no")
    return check_codes(rep, n, rows)


def minutes(h, m):
    return int(h) * 60 + int(m)


def check_offices(rep, rows, dists, servs, real):
    n = "offices.csv"
    phones = {}
    for lineno, r in rows:
        loc = check_row_common(rep, n, lineno, r)
        if r["district"] not in dists:
            rep.err(loc, f"district: unknown district {r['district']!r}")
        check_english(rep, loc, "address", r["address"], MAXLEN[(n, "address")])
        m = HOURS_RE.match(r["hours"])
        if not m:
            rep.err(loc, f"hours: {r['hours']!r} is not like "
                    "'Mon-Fri 09:00-16:00'")
        elif minutes(m[2], m[3]) >= minutes(m[4], m[5]):
            rep.err(loc, f"hours: {r['hours']!r} closes before it opens")
        p = r["phone"]
        if not PHONE_RE.match(p) or len(p.replace("-", "")) != 10:
            rep.err(loc, f"phone: {p!r} is not like 091-9210000 "
                    "(area code, 10 digits in all)")
        elif not real and not p.split("-")[1].startswith("000"):
            rep.err(loc, f"phone: {p!r} is not in the sample pattern "
                    "(number part starting 000)")
        if p in phones:
            rep.err(loc, f"phone: duplicate {p!r} (first on line {phones[p]})")
        phones.setdefault(p, lineno)
        codes = r["services"].split(" ")
        if not r["services"] or "" in codes:
            rep.err(loc, "services: empty or not single-space separated")
        for c in codes:
            if c and c not in servs:
                rep.err(loc, f"services: unknown service {c!r}")
        if len(set(codes)) != len(codes):
            rep.err(loc, "services: a service is listed twice")
    return check_codes(rep, n, rows)


def check_citizens(rep, rows, dists, real):
    n = "citizens.csv"
    for lineno, r in rows:
        loc = check_row_common(rep, n, lineno, r)
        if not CNIC_RE.match(r["cnic"]):
            rep.err(loc, "cnic: not a KP CNIC of the form 1####-#######-#")
        elif not real and not r["cnic"].startswith(SAMPLE_CNIC_PREFIX):
            rep.err(loc, f"cnic: demo CNICs must start {SAMPLE_CNIC_PREFIX}")
        # Several numbers are ';'-separated (kpass import citizens takes up
        # to 8); the shipped sample keeps one each.
        nums = r["msisdn"].split(";")
        if not real and len(nums) > 1:
            rep.err(loc, "msisdn: the sample gives each citizen one number")
        if len(nums) > 8:
            rep.err(loc, "msisdn: at most 8 numbers")
        if len(set(nums)) != len(nums):
            rep.err(loc, "msisdn: a number is listed twice")
        for num in nums:
            if not MSISDN_RE.match(num):
                rep.err(loc, "msisdn: not an MSISDN of the form +923xxxxxxxxx")
        if r["district"] not in dists:
            rep.err(loc, f"district: unknown district {r['district']!r}")
        if r["status"] not in STATUSES:
            rep.err(loc, f"status: {r['status']!r} is not one of "
                    f"{', '.join(sorted(STATUSES))}")
    check_codes(rep, n, rows, "cnic")
    seen = {}
    for lineno, r in rows:
        for num in set(r["msisdn"].split(";")):
            if num in seen:
                rep.err(f"{n}:{lineno}", f"msisdn: duplicate {num!r} (first on line "
                        f"{seen[num]})")
            else:
                seen[num] = lineno


def check_cross(rep, t, real):
    used = {r["department"] for _, r in t["services.csv"]}
    for lineno, r in t["departments.csv"]:
        if r["code"] not in used:
            rep.err(f"departments.csv:{lineno}",
                    f"department {r['code']!r} has no services")
    offered = set()
    for _, r in t["offices.csv"]:
        offered.update(r["services"].split(" "))
    for lineno, r in t["services.csv"]:
        if r["code"] not in offered and r["online"] == "no" \
                and r["ussd"] == "no":
            rep.warn(f"services.csv:{lineno}", f"service {r['code']!r} is "
                     "offered by no office and is neither online nor USSD")
    if real:
        return
    # What the shipped sample data promises (doc: etc/seed/README.md).
    want = {"departments.csv": 13, "services.csv": 40, "districts.csv": 20,
            "offices.csv": 45, "citizens.csv": 12}
    for name, least in want.items():
        if len(t[name]) < least:
            rep.err(name, f"{len(t[name])} rows; the seed promises "
                    f"at least {least}")
    odist = {r["district"] for _, r in t["offices.csv"]}
    if len(odist) < 15:
        rep.err("offices.csv", f"offices in {len(odist)} districts; "
                "the seed promises at least 15")
    st = [r["status"] for _, r in t["citizens.csv"]]
    for s in ("blocked", "deceased"):
        if st.count(s) != 1:
            rep.err("citizens.csv", f"{st.count(s)} {s} citizens; "
                    "the demo expects exactly one")


def check_dir(d, real=False):
    rep = Report()
    tables = {}
    for name in FILES:
        got = read_table(os.path.join(d, name), name, rep)
        tables[name] = got[1] if got else None
    if any(v is None for v in tables.values()):
        return rep, tables
    depts = check_departments(rep, tables["departments.csv"])
    dists = check_districts(rep, tables["districts.csv"])
    servs = check_services(rep, tables["services.csv"], depts)
    check_offices(rep, tables["offices.csv"], dists, servs, real)
    check_citizens(rep, tables["citizens.csv"], dists, real)
    check_cross(rep, tables, real)
    codes = {"department": depts, "district": dists, "service": servs,
             "office": {r["code"] for _, r in tables["offices.csv"]}}
    for name in OPTIONAL:
        path = os.path.join(d, name)
        if not os.path.exists(path):
            continue
        FILES[name] = OPTIONAL[name]
        got = read_table(path, name, rep)
        del FILES[name]
        if got is None:
            continue
        if name == "translations.csv":
            check_translations(rep, got[1], codes)
        else:
            check_distances(rep, got[1], dists, codes["office"], tables)
    return rep, tables


def check_translations(rep, rows, codes):
    seen = {}
    for lineno, r in rows:
        loc = f"translations.csv:{lineno}"
        kind, field, lang, text = r["kind"], r["field"], r["lang"], r["text"]
        if kind not in TR_FIELDS:
            rep.err(loc, f"kind: {kind!r} is not a kind")
            continue
        if field not in TR_FIELDS[kind]:
            rep.err(loc, f"field: a {kind} has no {field}")
        if r["code"] not in codes[kind]:
            rep.err(loc, f"code: unknown {kind} {r['code']!r}")
        key = (kind, r["code"], field, lang)
        if key in seen:
            rep.err(loc, f"duplicate of line {seen[key]}")
        seen[key] = lineno
        if lang == "ur":
            check_urdu(rep, loc, "text", text, True)
        elif lang == "ps":
            check_script(rep, loc, "text", text, PASHTO_FORBIDDEN, "Pashto")
        elif lang == "ur-Latn" or (lang == "en" and field == "keywords"):
            check_english(rep, loc, "text", text)
        else:
            rep.err(loc, f"lang: {lang!r} is not ur, ps or ur-Latn")


def check_distances(rep, rows, dists, offices, tables):
    with_office = {r["district"] for _, r in tables["offices.csv"]}
    linked = {}
    for lineno, r in rows:
        loc = f"distances.csv:{lineno}"
        a, b = r["district"], r["near"]
        for col, v in (("district", a), ("near", b)):
            if v not in dists:
                rep.err(loc, f"{col}: unknown district {v!r}")
        if a == b:
            rep.err(loc, "near: a district is not near itself")
        if not r["km"].isdigit() or not 1 <= int(r["km"]) <= 2000:
            rep.err(loc, f"km: {r['km']!r} is not 1 to 2000")
        linked.setdefault(a, set()).add(b)
        linked.setdefault(b, set()).add(a)
    for dcode in dists:
        if dcode not in with_office and not (linked.get(dcode, set()) & with_office):
            rep.err("distances.csv", f"{dcode} has no office and no neighbour with one")


# --- self-test -------------------------------------------------------------
# Each case changes one thing in a copy of the seed data.  (file, old, new)
# replaces the first occurrence of old, which must exist; a callable gets and
# returns the file's bytes.  expect is a piece of the error that must appear,
# or None when the changed data must still pass; real runs the check as
# --real-data does.

REJECTED = [
    ("BOM", "departments.csv", lambda b: b"\xef\xbb\xbf" + b, "BOM"),
    ("CRLF", "districts.csv", lambda b: b.replace(b"\n", b"\r\n"), "CR"),
    ("bad UTF-8", "offices.csv",
     lambda b: b.replace(b"Peshawar", b"Pesh\xffawar", 1), "UTF-8"),
    ("no final newline", "citizens.csv", lambda b: b.rstrip(b"\n"),
     "newline"),
    ("empty line", "districts.csv", lambda b: b + b"\n", "empty line"),
    ("header", "services.csv", ("processing_time,", "time,"), "header"),
    ("field count", "districts.csv", (",Hazara\n", ",Hazara,x\n"), "fields"),
    ("unquoted comma", "services.csv",
     (",Free,CNIC number,", ",Rs 2,000,CNIC number,"), "fields"),
    ("quoting", "departments.csv", ("HLTH,Health,", 'HLTH,"Health",'),
     "quoting"),
    ("code form", "departments.csv", ("HLTH,", "hlth,"), "A-Z"),
    ("code length", "services.csv", ("TOKENTAX,", "TOKENTAXX,"), "A-Z"),
    ("duplicate code", "services.csv", ("VEHXFER,", "VEHREG,"), "duplicate"),
    ("service->department", "services.csv", ("FARD,LAND,", "FARD,LANDS,"),
     "unknown department"),
    ("office->district", "offices.csv", ("MRDEX1,MRD,", "MRDEX1,MRX,"),
     "unknown district"),
    ("office->service", "offices.csv", ("FARD INTIQAL", "FARD INTIQAAL"),
     "unknown service"),
    ("office service twice", "offices.csv", ("FARD INTIQAL", "FARD FARD"),
     "listed twice"),
    ("name_en length", "services.csv",
     ("Deed registration", "Deed registration with sub-registrar"),
     "longer than 32"),
    ("department name length", "departments.csv",
     ("Home & Tribal Affairs", "Home & Tribal Affairs Department"),
     "longer than 30"),
    ("description length", "services.csv",
     ("Renew your driving licence when it expires.",
      "Renew your driving licence when it expires. " * 4 + "Now."),
     "longer than 160"),
    ("curly quote", "services.csv", ("Girls' stipend", "Girls\u2019 stipend"),
     "not GSM"),
    ("en dash", "services.csv", ("B-form or birth", "B\u2013form or birth"),
     "not GSM"),
    ("GSM extension char", "services.csv", ("(intiqal)", "[intiqal]"),
     "not GSM"),
    ("non-ASCII address", "offices.csv", ("Hayatabad, Peshawar",
                                          "Hay\u0101tabad, Peshawar"),
     "not GSM"),
    ("leading space", "districts.csv", (",Swat,", ", Swat,"), "leading"),
    ("double space", "services.csv", ("Land demarcation", "Land  demarcation"),
     "double space"),
    ("bidi control", "departments.csv", ("پولیس,", "\u200fپولیس,"),
     "bidi control"),
    ("empty Urdu name", "districts.csv", ("SWT,Swat,سوات,", "SWT,Swat,,"),
     "empty"),
    ("Arabic kaf in Urdu", "departments.csv", ("پولیس,", "پولیس ك,"),
     "Arabic kaf"),
    ("Arabic yeh in Urdu", "services.csv", ("ڈومیسائل", "ڈوميسائل"),
     "Arabic yeh"),
    ("Latin in Urdu", "districts.csv",
     ("MRD,Mardan,مردان,", "MRD,Mardan,Mardan,"), "Latin"),
    ("Urdu description length", "services.csv",
     ("مستحق طلبہ کے لیے زکوٰۃ فنڈ سے تعلیمی وظائف۔",
      "مستحق طلبہ کے لیے زکوٰۃ فنڈ سے تعلیمی وظائف۔ " * 4 + "وظائف۔"),
     "longer than 160"),
    ("Urdu letter in Pashto", "districts.csv", ("کوهاټ", "کوہاٹ"), "Pashto"),
    ("bad division", "districts.csv", (",Kohat\n", ",Kohatt\n"),
     "not a KP division"),
    ("fee text", "services.csv", (",Free,CNIC number,", ",free,CNIC number,"),
     "fee"),
    ("processing time", "services.csv", (",7 days,", ",a week,"),
     "processing_time"),
    ("documents list", "services.csv",
     ("CNIC copy; 2 photos", "CNIC copy;2 photos"), "documents"),
    ("online flag", "services.csv", (",yes,yes\n", ",Yes,yes\n"),
     "yes or no"),
    ("hours form", "offices.csv", ("Mon-Fri 09:00-16:00", "Mon-Fri 9-4"),
     "hours"),
    ("hours order", "offices.csv",
     ("Mon-Sat 08:00-14:00", "Mon-Sat 14:00-08:00"), "closes before"),
    ("phone form", "offices.csv", ("091-0000101", "091-000010"), "phone"),
    ("phone sample pattern", "offices.csv", ("091-0000101", "091-9210000"),
     "sample pattern"),
    ("duplicate phone", "offices.csv", ("091-0000102", "091-0000101"),
     "duplicate"),
    ("address length", "offices.csv",
     ("Land record service centre, Peshawar",
      "Land record service centre, " + "Peshawar " * 8 + "city"),
     "longer than 80"),
    ("CNIC form", "citizens.csv", ("10000-0000003-3", "1000000000033"),
     "CNIC"),
    ("CNIC province", "citizens.csv", ("10000-0000003-3", "30000-0000003-3"),
     "CNIC"),
    ("CNIC sample", "citizens.csv", ("10000-0000003-3", "17301-0000003-3"),
     "demo CNICs"),
    ("duplicate CNIC", "citizens.csv", ("10000-0000004-4", "10000-0000003-3"),
     "duplicate"),
    ("MSISDN form", "citizens.csv", ("+923210000103", "03210000103"),
     "MSISDN"),
    ("MSISDN length", "citizens.csv", ("+923210000103", "+92321000010"),
     "MSISDN"),
    ("duplicate MSISDN", "citizens.csv", ("+923110000102", "+923000000101"),
     "duplicate"),
    ("status", "citizens.csv", (",blocked\n", ",suspended\n"), "status"),
    ("citizen district", "citizens.csv", (",PSH,", ",PES,"),
     "unknown district"),
    ("two blocked", "citizens.csv", (",active\n", ",blocked\n"),
     "blocked citizens"),
    ("department without services", "departments.csv",
     lambda b: b + "WATER,Water,پانی,\n".encode("utf-8"), "has no services"),
    ("too few offices", "offices.csv",
     lambda b: b"\n".join(b.split(b"\n")[:40]) + b"\n", "at least 45"),
]
for case in REJECTED:
    assert case[3] is not None

ACCEPTED = [
    ("fee in rupees", "services.csv", (",Varies,CNIC copy; 2 photos,Varies,",
                                       ",Rs 200,CNIC copy; 2 photos,Varies,"),
     False),
    ("weeks", "services.csv", (",30 days,", ",4 weeks,"), False),
    ("no Pashto name", "districts.csv", ("بونېر", ""), False),
    ("quoted field with a quote", "services.csv",
     ("Land demarcation,", '"Land ""hadbandi"" demarcation",'), False),
    ("real phone with --real-data", "offices.csv",
     ("091-0000101", "091-9210000"), True),
    ("real CNIC with --real-data", "citizens.csv",
     ("10000-0000003-3", "17301-0000003-3"), True),
]


def apply_case(src, tmp, fname, change):
    """Copy the seed files into tmp and apply change; None or a complaint."""
    for name in FILES:
        shutil.copy(os.path.join(src, name), os.path.join(tmp, name))
    path = os.path.join(tmp, fname)
    with open(path, "rb") as f:
        data = f.read()
    if callable(change):
        new = change(data)
    else:
        old, rep_ = (s.encode("utf-8") for s in change)
        if old not in data:
            return f"{change[0]!r} not found in {fname}; update the case"
        new = data.replace(old, rep_, 1)
    if new == data:
        return "the change did nothing"
    with open(path, "wb") as f:
        f.write(new)
    return None


def run_case(src, label, fname, change, expect, real):
    tmp = tempfile.mkdtemp(prefix="seedcheck.")
    try:
        why = apply_case(src, tmp, fname, change)
        if why:
            print(f"self-test: FAIL {label}: {why}")
            return False
        rep, _ = check_dir(tmp, real)
    finally:
        shutil.rmtree(tmp)
    if expect is None:
        if rep.errors:
            print(f"self-test: FAIL {label}: rejected: {rep.errors[:3]}")
            return False
        print(f"self-test: ok   {label}: accepted")
        return True
    hits = [e for e in rep.errors if expect in e]
    if not hits:
        print(f"self-test: FAIL {label}: no error containing {expect!r}; "
              f"got {rep.errors[:3]}")
        return False
    print(f"self-test: ok   {label}: {hits[0]}")
    return True


def self_test(src):
    base_rep, _ = check_dir(src)
    if base_rep.errors:
        print("self-test: the seed data itself has errors; fix those first")
        for e in base_rep.errors:
            print("  " + e)
        return 1
    cases = [c + (False,) for c in REJECTED]
    cases += [(label, f, ch, None, real) for label, f, ch, real in ACCEPTED]
    passed = sum(run_case(src, *c) for c in cases)
    print(f"self-test: {passed}/{len(cases)} cases passed")
    return 0 if passed == len(cases) else 1


def main(argv):
    real = False
    selftest = False
    args = []
    for a in argv:
        if a == "--real-data":
            real = True
        elif a == "--self-test":
            selftest = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    d = args[0] if args else os.path.join(top, "etc", "seed")
    if selftest:
        return self_test(d)
    rep, t = check_dir(d, real)
    if all(v is not None for v in t.values()):
        odist = {r["district"] for _, r in t["offices.csv"]}
        print(f"seed_check: {d}: {len(t['departments.csv'])} departments, "
              f"{len(t['services.csv'])} services, "
              f"{len(t['districts.csv'])} districts, "
              f"{len(t['offices.csv'])} offices in {len(odist)} districts, "
              f"{len(t['citizens.csv'])} citizens")
    for w in rep.warnings:
        print("warning: " + w)
    for e in rep.errors:
        print("error: " + e)
    if rep.errors:
        print(f"seed_check: FAILED ({len(rep.errors)} errors, "
              f"{len(rep.warnings)} warnings)")
        return 1
    print(f"seed_check: OK (0 errors, {len(rep.warnings)} warnings)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
