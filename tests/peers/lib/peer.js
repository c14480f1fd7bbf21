// SPDX-License-Identifier: ISC
//
// What the three test peers share: the npm `smpp` package loaded with the
// changes these tools need (raw bytes kept, octet strings left undecoded so
// that we decode them ourselves, SMPP 3.4 lengths), PDUs to and from the
// JSON-lines protocol described in README.md, command-line options, stdin
// lines, and a hard lifetime so that no peer can outlive a crashed test.
'use strict';

const readline = require('readline');
const smpp = require('smpp');
const text = require('./text');

// SMPP 3.4 §3.2: command_length covers the whole PDU; kpass accepts up to
// 65536 octets (DESIGN §3), the package only 16384 by default.
smpp.PDU.maxLength = 65536;

// Keep short_message / message_payload as raw Buffers and the time fields
// as the strings on the wire: the package would otherwise decode text with
// its own GSM table and turn times into Date objects.
smpp.filters.message.decode = (v) => v;
smpp.filters.time.decode = (v) => v;

// Framing with the raw PDU kept (non-enumerable, so that the package's
// encoder, which walks the object's keys, never sees it).  A body the
// package cannot decode becomes a 'malformed' PDU carrying the header and
// the reason, instead of killing the session.
smpp.PDU.fromStream = function (stream, len) {
    if (len < 16)
        throw new Error(`command_length ${len} is below 16 (SMPP 3.4 §3.2)`);
    const body = stream.read(len - 4);
    if (!body)
        return false;
    const head = Buffer.alloc(4);
    head.writeUInt32BE(len, 0);
    return pduFromBuffer(Buffer.concat([head, body]));
};

// Decode one whole PDU (a Buffer of exactly command_length octets).
function pduFromBuffer(raw) {
    let pdu;
    try {
        pdu = new smpp.PDU(raw);
    } catch (e) {
        pdu = Object.create(smpp.PDU.prototype);
        pdu.command = 'malformed';
        pdu.command_length = raw.readUInt32BE(0);
        pdu.command_id = raw.readUInt32BE(4);
        pdu.command_status = raw.readUInt32BE(8);
        pdu.sequence_number = raw.readUInt32BE(12);
        Object.defineProperty(pdu, 'decode_error', { value: e.message });
    }
    Object.defineProperty(pdu, '_raw', { value: raw });
    return pdu;
}

const HEADER = new Set(['command', 'command_length', 'command_id',
    'command_status', 'sequence_number']);

// its_session_info (SMPP 3.4 §5.3.2.43): octet 1 the session number,
// octet 2 the sequence number in bits 7..1 and the end-of-session
// indicator in bit 0.
function itsDecode(buf) {
    if (buf.length !== 2)
        return null;
    return { session_number: buf[0], sequence_number: buf[1] >> 1,
        end: (buf[1] & 1) === 1 };
}

function itsEncode(v) {
    const s = v.session_number | 0, q = v.sequence_number | 0;
    if (s < 0 || s > 255 || q < 0 || q > 127)
        throw new Error('its_session_info: session_number 0..255, sequence_number 0..127');
    return Buffer.from([s, (q << 1) | (v.end ? 1 : 0)]);
}

function tlvName(key) {
    return /^\d+$/.test(key) ? 'tlv_0x' + Number(key).toString(16).padStart(4, '0') : key;
}

function jsonable(v) {
    if (Buffer.isBuffer(v))
        return v.toString('hex');
    if (Array.isArray(v))
        return v.map(jsonable);
    if (v && typeof v === 'object') {
        const o = {};
        for (const k of Object.keys(v))
            o[k] = jsonable(v[k]);
        return o;
    }
    return v;
}

// The body of a decoded PDU as JSON fields: integers and C-strings as they
// are, octet strings as NAME_hex, unknown TLVs as tlv_0xNNNN_hex, the
// password redacted, plus "text" (or "text_error") decoded from
// short_message, else message_payload, by data_coding.
function fieldsJson(pdu) {
    const f = {};
    for (const key of Object.keys(pdu)) {
        if (HEADER.has(key))
            continue;
        const name = tlvName(key), v = pdu[key];
        if (name === 'password')
            f.password = '<redacted>';
        else if (Buffer.isBuffer(v))
            f[name + '_hex'] = v.toString('hex');
        else
            f[name] = jsonable(v);
    }
    if (Buffer.isBuffer(pdu.its_session_info)) {
        const its = itsDecode(pdu.its_session_info);
        if (its)
            f.its_session_info = its;
    }
    const sm = pdu.short_message, mp = pdu.message_payload;
    const msg = Buffer.isBuffer(sm) && sm.length ? sm : Buffer.isBuffer(mp) ? mp : sm;
    if (Buffer.isBuffer(msg) && typeof pdu.data_coding === 'number') {
        const r = text.decode(msg, pdu.data_coding);
        if (r.error === undefined)
            f.text = r.text;
        else
            f.text_error = r.error;
    }
    return f;
}

// A received PDU as the JSON object of README.md (without "event").
function pduJson(pdu, withHex) {
    const o = {
        command: pdu.command,
        command_id: pdu.command_id,
        sequence_number: pdu.sequence_number,
        command_status: pdu.command_status,
        fields: pdu.command === 'malformed' ? {} : fieldsJson(pdu),
    };
    if (pdu.decode_error !== undefined)
        o.decode_error = pdu.decode_error;
    if (withHex && pdu._raw)
        o.hex = pdu._raw.toString('hex');
    return o;
}

function hexBuffer(name, v) {
    if (typeof v !== 'string' || !/^([0-9a-fA-F]{2}|\s)*$/.test(v))
        throw new Error(`${name}: not a hex string`);
    return Buffer.from(v.replace(/\s+/g, ''), 'hex');
}

function registerTlv(name) {
    const id = parseInt(name.slice(6), 16);
    if (!smpp.tlvs[name])
        smpp.addTLV(name, { id, type: smpp.types.tlv.buffer });
}

function textField(target, value, fields, opts) {
    const r = text.encode(value, fields.data_coding);
    if (r.error !== undefined)
        throw new Error(`${target}: ${r.error}`);
    if (target === 'short_message' && r.buf.length > 254)
        throw new Error(`short_message: ${r.buf.length} octets, at most 254 (SMPP 3.4 §5.2.22); use message_payload`);
    opts[target] = r.buf;
    if (fields.data_coding === undefined)
        opts.data_coding = r.data_coding;
}

// JSON fields (README.md, "Fields you send") into options for
// new smpp.PDU(command, options).  Throws on an unknown field name.
function fieldsToOptions(command, fields) {
    const def = smpp.commands[command];
    if (!def)
        throw new Error(`unknown command '${command}'`);
    const params = def.params || {}, opts = {};
    fields = fields || {};
    for (const [key, v] of Object.entries(fields)) {
        if (key === 'short_message_text' || key === 'message_payload_text') {
            textField(key.slice(0, -5), v, fields, opts);
            continue;
        }
        if ((key === 'short_message' || key === 'message_payload') && typeof v === 'string') {
            textField(key, v, fields, opts);
            continue;
        }
        let name = key, value = v;
        if (key.endsWith('_hex')) {
            name = key.slice(0, -4);
            value = hexBuffer(key, v);
            if (/^tlv_0x[0-9a-fA-F]{4}$/.test(name))
                registerTlv(name = name.toLowerCase());
        } else if (key === 'its_session_info' && v && typeof v === 'object' && !Array.isArray(v)) {
            value = itsEncode(v);
        } else if (Array.isArray(v) && v.every((x) => Number.isInteger(x))) {
            value = Buffer.from(v);
        }
        if (!(name in params) && !(name in smpp.tlvs))
            throw new Error(`${command} has no field '${name}'`);
        opts[name] = value;
    }
    return opts;
}

// Build a PDU from a JSON command; seq forces the sequence_number, status
// sets command_status (a response with a non-zero status has no body).
function pduBuild(command, fields, seq, status) {
    const opts = fieldsToOptions(command, fields);
    if (seq)
        opts.sequence_number = seq;
    if (status)
        opts.command_status = status;
    return new smpp.PDU(command, opts);
}

// JSON line on stdout.  On Linux writes to pipes and files are synchronous,
// so each line is out (flushed) when this returns.
function out(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

process.stdout.on('error', () => process.exit(0)); // reader gone: EPIPE

// Options: spec maps a name to {type: 'int'|'str'|'bool', def}.  Accepts
// --name value, --name=value and --flag; the rest are positional.
function parseArgs(argv, spec, usage) {
    const opts = {}, pos = [];
    for (const [k, s] of Object.entries(spec))
        opts[k] = s.def;
    const fail = (msg) => {
        process.stderr.write(`${msg}\nusage: ${usage}\n`);
        process.exit(2);
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith('--')) {
            pos.push(a);
            continue;
        }
        let [name, val] = a.slice(2).split(/=(.*)/s);
        const s = spec[name];
        if (!s)
            fail(`unknown option --${name}`);
        if (s.type === 'bool') {
            opts[name] = true;
            continue;
        }
        if (val === undefined) {
            if (i + 1 >= argv.length)
                fail(`--${name} needs a value`);
            val = argv[++i];
        }
        if (s.type === 'int') {
            if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(val))
                fail(`--${name}: '${val}' is not a number`);
            opts[name] = Number(val);
        } else {
            opts[name] = val;
        }
    }
    return { opts, pos, fail };
}

// Call onLine(line) for each stdin line and onEof() at end of input.
function stdinLines(onLine, onEof) {
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    rl.on('line', onLine);
    rl.on('close', onEof);
    return rl;
}

// Exit after ms whatever happens (0: never); the timer does not keep the
// process alive by itself.
function lifetime(ms, onExpire) {
    if (!ms)
        return;
    setTimeout(onExpire, ms).unref();
}

module.exports = {
    smpp, text, out, parseArgs, stdinLines, lifetime, pduJson, fieldsJson,
    pduBuild, pduFromBuffer, fieldsToOptions, hexBuffer, itsDecode, itsEncode,
};
