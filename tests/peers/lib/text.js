// SPDX-License-Identifier: ISC
//
// Text on the SMPP wire for the test peers, written independently of kpass's
// C codec so that the two can check each other: the GSM 03.38 default
// alphabet and its extension table (3GPP TS 23.038 §6.2.1, §6.2.1.1) carried
// one septet per octet as SMPP does for data_coding 0 (SMPP 3.4 §5.2.19),
// IA5/ASCII (data_coding 1), Latin-1 (3) and UCS-2 big-endian (8; characters
// outside the BMP as UTF-16 surrogate pairs).  Pure functions, no I/O.
'use strict';

// 3GPP TS 23.038 §6.2.1: the 128 characters of the default alphabet, in
// septet order.  0x1B is the escape to the extension table (shown here as
// U+001B but never produced by decode on its own).
const GSM_BASIC = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\x1b', 'Æ', 'æ', 'ß', 'É',
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
];

// 3GPP TS 23.038 §6.2.1.1: the extension table (after ESC 0x1B).  0x0A is
// the page break (form feed); 0x0D (CR2) and 0x1B (a further extension) have
// no character and are handled in gsmDecode.
const GSM_EXT = {
    0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\',
    0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€',
};

const GSM_ENC = new Map();
GSM_BASIC.forEach((ch, i) => { if (i !== 0x1b) GSM_ENC.set(ch, [i]); });
for (const [code, ch] of Object.entries(GSM_EXT))
    GSM_ENC.set(ch, [0x1b, Number(code)]);

// Encode a JS string as GSM 03.38 septets, one per octet.  Returns a Buffer,
// or null when a character is in neither table.
function gsmEncode(s) {
    const out = [];
    for (const ch of s) {
        const code = GSM_ENC.get(ch);
        if (code === undefined)
            return null;
        out.push(...code);
    }
    return Buffer.from(out);
}

// Decode GSM 03.38 septets carried one per octet.  An octet above 0x7F or a
// trailing ESC is an error ({error}); ESC before a code the extension table
// does not define shows the default-table character, and ESC ESC a space,
// as §6.2.1.1 tells a receiver to do.
function gsmDecode(buf) {
    let s = '';
    for (let i = 0; i < buf.length; i++) {
        const b = buf[i];
        if (b > 0x7f)
            return { error: `octet 0x${hex2(b)} at ${i} is not a septet` };
        if (b !== 0x1b) {
            s += GSM_BASIC[b];
            continue;
        }
        if (++i >= buf.length)
            return { error: 'trailing ESC (0x1B) without a character' };
        const e = buf[i];
        if (e > 0x7f)
            return { error: `octet 0x${hex2(e)} at ${i} is not a septet` };
        if (e === 0x1b)
            s += ' ';
        else if (GSM_EXT[e] !== undefined)
            s += GSM_EXT[e];
        else
            s += GSM_BASIC[e];
    }
    return { text: s };
}

// UCS-2 big-endian; astral characters become surrogate pairs (UTF-16).
function ucs2Encode(s) {
    const out = Buffer.alloc(s.length * 2);
    for (let i = 0; i < s.length; i++)
        out.writeUInt16BE(s.charCodeAt(i), i * 2);
    return out;
}

// UCS-2 / UTF-16 big-endian: an odd length or an unpaired surrogate is an
// error.
function ucs2Decode(buf) {
    if (buf.length % 2)
        return { error: `odd UCS-2 length ${buf.length}` };
    let s = '';
    for (let i = 0; i < buf.length; i += 2) {
        const u = buf.readUInt16BE(i);
        if (u >= 0xd800 && u <= 0xdbff) {
            const lo = i + 2 < buf.length ? buf.readUInt16BE(i + 2) : -1;
            if (lo < 0xdc00 || lo > 0xdfff)
                return { error: `unpaired high surrogate at ${i}` };
            s += String.fromCharCode(u, lo);
            i += 2;
        } else if (u >= 0xdc00 && u <= 0xdfff) {
            return { error: `unpaired low surrogate at ${i}` };
        } else {
            s += String.fromCharCode(u);
        }
    }
    return { text: s };
}

function ia5Encode(s) {
    return /^[\x00-\x7f]*$/.test(s) ? Buffer.from(s, 'latin1') : null;
}

function ia5Decode(buf) {
    for (let i = 0; i < buf.length; i++)
        if (buf[i] > 0x7f)
            return { error: `octet 0x${hex2(buf[i])} at ${i} is not IA5` };
    return { text: buf.toString('latin1') };
}

function latin1Encode(s) {
    return /^[\x00-\xff]*$/.test(s) ? Buffer.from(s, 'latin1') : null;
}

function hex2(b) {
    return b.toString(16).padStart(2, '0');
}

// How data_coding 0 (the "SMSC default alphabet") is read: 'gsm' (the
// default, what kpass sends per DESIGN §4) or 'latin1' (some SMSCs).
let dc0 = 'gsm';

function setDc0(mode) {
    if (mode !== 'gsm' && mode !== 'latin1')
        throw new Error(`--dc0 must be gsm or latin1, not '${mode}'`);
    dc0 = mode;
}

// Encode s for data_coding dc (0, 1, 3 or 8).  dc undefined/null picks 0
// when s is all GSM 03.38 and 8 otherwise (as kpass does).  Returns
// {buf, data_coding} or {error}.
function encode(s, dc) {
    if (dc === undefined || dc === null)
        dc = gsmEncode(s) ? 0 : 8;
    let buf = null;
    switch (dc) {
    case 0: buf = dc0 === 'gsm' ? gsmEncode(s) : latin1Encode(s); break;
    case 1: buf = ia5Encode(s); break;
    case 3: buf = latin1Encode(s); break;
    case 8: buf = ucs2Encode(s); break;
    default: return { error: `data_coding ${dc} has no text encoding here` };
    }
    if (buf === null)
        return { error: `text is not representable in data_coding ${dc}` };
    return { buf, data_coding: dc };
}

// Decode octets sent with data_coding dc.  Returns {text} or {error}.
function decode(buf, dc) {
    switch (dc) {
    case 0: return dc0 === 'gsm' ? gsmDecode(buf) : { text: buf.toString('latin1') };
    case 1: return ia5Decode(buf);
    case 3: return { text: buf.toString('latin1') };
    case 8: return ucs2Decode(buf);
    default: return { error: `data_coding ${dc} is not text` };
    }
}

module.exports = {
    gsmEncode, gsmDecode, ucs2Encode, ucs2Decode, encode, decode, setDc0,
};
