#!/usr/bin/env node
// SPDX-License-Identifier: ISC
//
// An ESME on the npm `smpp` package that binds to kpassd (server mode):
// `interop` walks the basic operations and checks every response, `ussd`
// plays an operator USSD gateway carrying one subscriber's dialog, `raw`
// sends hex PDUs from stdin and prints what comes back.  One JSON line per
// step on stdout; the protocol is in README.md.  127.0.0.1 only; every wait
// is bounded by --timeout and the whole run by --max-time.
'use strict';

const net = require('net');
const P = require('./lib/peer');
const { smpp, out } = P;

const USAGE = 'node client.js --port N --system-id S --password P [--bind trx|tx|rx] ' +
    'interop|ussd|raw [options]  (see README.md)';
const { opts, pos, fail: usage } = P.parseArgs(process.argv.slice(2), {
    port: { type: 'int', def: 0 },
    'system-id': { type: 'str', def: '' },
    password: { type: 'str', def: '' },
    'system-type': { type: 'str', def: '' },
    'interface-version': { type: 'int', def: 0x34 },
    bind: { type: 'str', def: 'trx' },
    timeout: { type: 'int', def: 5000 },
    'max-time': { type: 'int', def: 120000 },
    dc0: { type: 'str', def: 'gsm' },
    hex: { type: 'bool', def: false },
    // interop
    source: { type: 'str', def: '923001234567' },
    dest: { type: 'str', def: '789' },
    text: { type: 'str', def: 'kpass interop test' },
    'registered-delivery': { type: 'int', def: 0 },
    hold: { type: 'int', def: 0 },
    strict: { type: 'bool', def: false },
    // ussd
    msisdn: { type: 'str', def: null },
    dial: { type: 'str', def: '*789#' },
    'service-code': { type: 'str', def: null },
    'service-type': { type: 'str', def: 'USSD' },
    'session-tlv': { type: 'str', def: 'its' },
    'session-id': { type: 'int', def: null },
    inputs: { type: 'str', def: '' },
    'mo-pdu': { type: 'str', def: 'submit_sm' },
    'dest-ton': { type: 'int', def: 0 },
    'dest-npi': { type: 'int', def: 1 },
    'abort-op': { type: 'int', def: null },
    // raw
    'no-bind': { type: 'bool', def: false },
    'no-auto-resp': { type: 'bool', def: false },
    linger: { type: 'int', def: 1000 },
}, USAGE);

const BIND = { trx: 'bind_transceiver', tx: 'bind_transmitter', rx: 'bind_receiver' };
const mode = pos[0];
if (pos.length !== 1 || !['interop', 'ussd', 'raw'].includes(mode))
    usage('exactly one mode: interop, ussd or raw');
if (!opts.port)
    usage('--port is required');
if (!BIND[opts.bind])
    usage('--bind is trx, tx or rx');
try {
    P.text.setDc0(opts.dc0);
} catch (e) {
    usage(e.message);
}

let finished = false;

function finish(ok, reason, extra) {
    if (finished)
        return;
    finished = true;
    out(Object.assign(ok ? { result: 'ok' } : { result: 'fail', reason }, extra || {}));
    process.exit(ok ? 0 : 1);
}

P.lifetime(opts['max-time'], () => finish(false, `--max-time ${opts['max-time']} ms reached`));

function bindPdu() {
    return new smpp.PDU(BIND[opts.bind], {
        system_id: opts['system-id'], password: opts.password,
        system_type: opts['system-type'], interface_version: opts['interface-version'],
    });
}

// The ESME side of one SMPP session on the package's Session: requests we
// send are matched to their responses by sequence_number here (not by the
// package), so that a response with a wrong command or an unknown sequence
// number is seen; requests from kpassd are answered at once and queued for
// whoever waits for them.
class Esme {
    constructor() {
        this.pending = new Map();
        this.inbox = [];
        this.waiter = null;
        this.closed = false;
        this.expectClose = false;
    }

    connect() {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('connect: timed out')), opts.timeout);
            this.s = smpp.connect({ host: '127.0.0.1', port: opts.port });
            this.s.on('connect', () => {
                clearTimeout(timer);
                this.s.socket.setNoDelay(true);
                resolve();
            });
            this.s.on('error', (e) => {
                clearTimeout(timer);
                reject(e);
                if (!finished && !this.expectClose)
                    finish(false, `socket: ${e.message}`);
            });
            this.s.on('close', () => {
                this.closed = true;
                if (!this.expectClose)
                    finish(false, 'kpassd closed the connection');
            });
            this.s.on('pdu', (pdu) => this.onPdu(pdu));
        });
    }

    onPdu(pdu) {
        if (pdu.isResponse()) {
            const p = this.pending.get(pdu.sequence_number);
            if (!p) {
                finish(false, `${pdu.command} with sequence_number ${pdu.sequence_number} answers no request of ours`);
                return;
            }
            this.pending.delete(pdu.sequence_number);
            clearTimeout(p.timer);
            p.resolve(pdu);
            return;
        }
        const answer = this.answer(pdu);
        out(Object.assign({ step: 'recv' }, P.pduJson(pdu, opts.hex), { answer: answer.command }));
        if (pdu.command === 'unbind') {
            this.expectClose = true;
            this.s.send(answer, () => finish(false, 'kpassd unbound'));
            return;
        }
        this.s.send(answer);
        this.inbox.push(pdu);
        if (this.waiter)
            this.waiter();
    }

    // SMPP 3.4 §4: the response an ESME gives to each request.
    answer(pdu) {
        switch (pdu.command) {
        case 'enquire_link':
        case 'unbind':
        case 'deliver_sm':
            return pdu.response();
        case 'data_sm':
            return pdu.response({ message_id: 'c' + pdu.sequence_number });
        case 'malformed':
            return new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number,
                command_status: smpp.ESME_RINVCMDLEN });
        default:
            return new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number,
                command_status: smpp.ESME_RINVCMDID });
        }
    }

    // Send a request; resolves with its response, or fails the run on a
    // timeout, a response of the wrong kind, or a generic_nack.
    call(pdu) {
        return new Promise((resolve) => {
            if (!this.s.send(pdu)) {
                finish(false, `${pdu.command}: connection not writable`);
                return;
            }
            const seq = pdu.sequence_number;
            const timer = setTimeout(() => finish(false,
                `${pdu.command} (sequence_number ${seq}): no response within ${opts.timeout} ms`), opts.timeout);
            this.pending.set(seq, { timer, resolve: (resp) => {
                if (resp.command !== pdu.command + '_resp')
                    finish(false, `${pdu.command} (sequence_number ${seq}) answered by ${resp.command} ` +
                        `status 0x${resp.command_status.toString(16)}`);
                else
                    resolve(resp);
            } });
        });
    }

    // The next request from kpassd that pred accepts (earlier ones that it
    // rejects are dropped); fails the run after --timeout.
    nextRequest(pred, what) {
        return new Promise((resolve) => {
            const timer = setTimeout(() => finish(false, `no ${what} within ${opts.timeout} ms`), opts.timeout);
            const look = () => {
                while (this.inbox.length) {
                    const pdu = this.inbox.shift();
                    if (pred(pdu)) {
                        clearTimeout(timer);
                        this.waiter = null;
                        resolve(pdu);
                        return;
                    }
                }
            };
            this.waiter = look;
            look();
        });
    }

    async bind() {
        const resp = await this.call(bindPdu());
        step('bind', resp, { system_id: resp.system_id });
        if (resp.command_status !== 0)
            finish(false, `bind refused with status 0x${resp.command_status.toString(16)}`);
    }

    async unbind() {
        this.expectClose = true; // kpassd may close right after unbind_resp
        const resp = await this.call(new smpp.PDU('unbind'));
        step('unbind', resp);
        await new Promise((resolve) => {
            if (this.closed)
                return resolve();
            const timer = setTimeout(() => { this.s.destroy(); resolve(); }, opts.timeout);
            this.s.socket.once('close', () => { clearTimeout(timer); resolve(); });
            this.s.close();
        });
    }
}

function step(name, resp, extra) {
    out(Object.assign({ step: name, command: resp.command, sequence_number: resp.sequence_number,
        status: resp.command_status }, extra || {}));
}

function gsmText(s) {
    const r = P.text.encode(s, 0);
    if (r.error !== undefined)
        usage(`'${s}': ${r.error}`);
    return r.buf;
}

// Mode interop: bind, enquire_link, submit_sm, data_sm, (hold), unbind.
async function interop() {
    const e = new Esme();
    await e.connect();
    await e.bind();
    const strictCheck = (name, resp) => {
        if (opts.strict && resp.command_status !== 0)
            finish(false, `${name}: status 0x${resp.command_status.toString(16)}`);
    };
    let resp = await e.call(new smpp.PDU('enquire_link'));
    step('enquire_link', resp);
    const addrs = {
        source_addr_ton: 1, source_addr_npi: 1, source_addr: opts.source,
        dest_addr_ton: opts['dest-ton'], dest_addr_npi: opts['dest-npi'], destination_addr: opts.dest,
        registered_delivery: opts['registered-delivery'], data_coding: 0,
    };
    resp = await e.call(new smpp.PDU('submit_sm', Object.assign({
        short_message: gsmText(opts.text) }, addrs)));
    step('submit_sm', resp, { message_id: resp.message_id });
    strictCheck('submit_sm', resp);
    resp = await e.call(new smpp.PDU('data_sm', Object.assign({
        message_payload: gsmText(opts.text) }, addrs)));
    step('data_sm', resp, { message_id: resp.message_id });
    strictCheck('data_sm', resp);
    if (opts.hold > 0)
        await new Promise((r) => setTimeout(r, opts.hold));
    await e.unbind();
    finish(true);
}

function digits(s) {
    return String(s || '').replace(/\D/g, '');
}

// Mode ussd: one subscriber's dialog, the operator gateway's side
// (DESIGN §4): MO begin op 1, our replies op 18, kpassd's screens op 2
// (continue) or 17 (end).
async function ussd() {
    if (!opts.msisdn || !/^\+?\d{5,15}$/.test(opts.msisdn))
        usage('ussd needs --msisdn (digits)');
    if (!['its', 'umr', 'none'].includes(opts['session-tlv']))
        usage('--session-tlv is its, umr or none');
    if (!['submit_sm', 'data_sm'].includes(opts['mo-pdu']))
        usage('--mo-pdu is submit_sm or data_sm');
    const tlv = opts['session-tlv'];
    const sid = opts['session-id'] !== null ? opts['session-id']
        : tlv === 'its' ? Math.floor(Math.random() * 256) : 1 + Math.floor(Math.random() * 65535);
    if ((tlv === 'its' && sid > 255) || sid > 65535)
        usage('--session-id out of range (its: 0..255, umr: 0..65535)');
    const code = opts['service-code'] || (opts.dial.match(/\d+/) || ['0'])[0];
    const inputs = opts.inputs === '' ? [] : opts.inputs.split(',');
    let itsSeq = 0, screens = 0;

    const e = new Esme();
    await e.connect();
    await e.bind();

    const sendMo = (input, op) => {
        const f = {
            service_type: opts['service-type'],
            source_addr_ton: 1, source_addr_npi: 1, source_addr: digits(opts.msisdn),
            dest_addr_ton: opts['dest-ton'], dest_addr_npi: opts['dest-npi'], destination_addr: code,
            data_coding: 0, ussd_service_op: op,
        };
        f[opts['mo-pdu'] === 'submit_sm' ? 'short_message' : 'message_payload'] = gsmText(input);
        if (tlv === 'its')
            f.its_session_info = P.itsEncode({ session_number: sid, sequence_number: itsSeq, end: false });
        else if (tlv === 'umr')
            f.user_message_reference = sid;
        return e.call(new smpp.PDU(opts['mo-pdu'], f)).then((resp) => {
            step('mo', resp, { op, message_id: resp.message_id });
            if (resp.command_status !== 0)
                finish(false, `MO op ${op} refused with status 0x${resp.command_status.toString(16)}`);
        });
    };

    const isMt = (pdu) => ['deliver_sm', 'data_sm', 'submit_sm'].includes(pdu.command);
    let mo = sendMo(opts.dial, 1);
    for (;;) {
        const mt = await e.nextRequest(isMt, 'USSD screen');
        await mo; // the MO's response, in whichever order the two arrived
        const op = mt.ussd_service_op;
        const msg = Buffer.isBuffer(mt.short_message) && mt.short_message.length
            ? mt.short_message : mt.message_payload;
        const r = Buffer.isBuffer(msg) ? P.text.decode(msg, mt.data_coding)
            : { error: 'no short_message or message_payload' };
        const line = { screen: r.text === undefined ? null : r.text, op, data_coding: mt.data_coding };
        const its = Buffer.isBuffer(mt.its_session_info) ? P.itsDecode(mt.its_session_info) : null;
        if (tlv === 'its' && its)
            line.session_end = its.end;
        out(line);
        screens++;
        if (op !== 2 && op !== 17)
            finish(false, `MT ussd_service_op ${op === undefined ? 'missing' : op}, not 2 or 17`);
        if (r.error !== undefined)
            finish(false, `MT text (data_coding ${mt.data_coding}): ${r.error}`);
        if (digits(mt.destination_addr) !== digits(opts.msisdn))
            finish(false, `MT destination_addr '${mt.destination_addr}' is not the subscriber`);
        if (tlv === 'its' && (!its || its.session_number !== sid))
            finish(false, `MT its_session_info ${its ? 'session ' + its.session_number : 'missing or not 2 octets'}, ours is ${sid}`);
        if (tlv === 'umr' && mt.user_message_reference !== sid)
            finish(false, `MT user_message_reference ${mt.user_message_reference}, ours is ${sid}`);
        if (op === 17) {
            await e.unbind();
            finish(true, null, { screens, ended: true, inputs_left: inputs.length });
            return;
        }
        if (!inputs.length)
            break;
        itsSeq = ((its ? its.sequence_number : itsSeq) + 1) & 0x7f;
        mo = sendMo(inputs.shift(), 18);
    }
    if (opts['abort-op'] !== null) {
        itsSeq = (itsSeq + 1) & 0x7f;
        await sendMo('', opts['abort-op']);
    }
    await e.unbind();
    finish(true, null, { screens, ended: false, inputs_left: 0 });
}

// Mode raw: plain socket and our own framing, so that whatever kpassd
// sends back (even a PDU the package cannot decode) is printed with its hex.
function raw() {
    const sock = net.connect({ host: '127.0.0.1', port: opts.port });
    let acc = Buffer.alloc(0), bound = opts['no-bind'];
    const queue = [];
    let busy = false, eof = false;

    const send = (buf) => sock.write(buf);
    const connectTimer = setTimeout(() => finish(false, 'connect: timed out'), opts.timeout);
    sock.setNoDelay(true);
    sock.on('error', (e) => finish(false, `socket: ${e.message}`));
    sock.on('close', () => {
        out({ event: 'close' });
        if (!bound)
            finish(false, 'closed before the bind completed');
        finish(true);
    });
    sock.on('data', (d) => {
        acc = Buffer.concat([acc, d]);
        while (acc.length >= 4) {
            const len = acc.readUInt32BE(0);
            if (len < 16 || len > 65536) {
                out({ event: 'framing_error', command_length: len, hex: acc.toString('hex') });
                sock.destroy();
                return;
            }
            if (acc.length < len)
                break;
            const pdu = P.pduFromBuffer(acc.subarray(0, len));
            acc = acc.subarray(len);
            out(Object.assign({ event: 'pdu' }, P.pduJson(pdu, true)));
            if (!bound && pdu.command === BIND[opts.bind] + '_resp') {
                if (pdu.command_status !== 0)
                    finish(false, `bind refused with status 0x${pdu.command_status.toString(16)}`);
                bound = true;
                pump();
            } else if (!pdu.isResponse() && !opts['no-auto-resp']) {
                send(Esme.prototype.answer(pdu).toBuffer());
            }
        }
    });
    const pump = () => {
        if (busy || !bound)
            return;
        while (queue.length) {
            const line = queue.shift();
            const wait = line.match(/^wait\s+(\d+)$/);
            if (wait) {
                busy = true;
                setTimeout(() => { busy = false; pump(); }, Number(wait[1]));
                return;
            }
            try {
                const buf = P.hexBuffer('line', line);
                send(buf);
                out({ event: 'sent', bytes: buf.length });
            } catch (e) {
                out({ event: 'error', reason: e.message });
            }
        }
        if (eof)
            setTimeout(() => finish(true), opts.linger);
    };
    sock.on('connect', () => {
        clearTimeout(connectTimer);
        if (!bound) {
            const b = bindPdu();
            b.sequence_number = 1; // the hex lines choose their own numbers
            send(b.toBuffer());
        }
        pump();
    });
    P.stdinLines((line) => {
        line = line.trim();
        if (line && !line.startsWith('#'))
            queue.push(line);
        pump();
    }, () => {
        eof = true;
        pump();
        setTimeout(() => {
            if (!bound)
                finish(false, 'no bind response');
        }, opts.timeout);
    });
}

if (mode === 'raw') {
    raw();
} else {
    (mode === 'interop' ? interop() : ussd()).catch((e) => finish(false, e.message));
}
