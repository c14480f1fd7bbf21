#!/usr/bin/env node
// SPDX-License-Identifier: ISC
//
// A test SMSC / operator USSD gateway on the npm `smpp` package: the server
// that kpassd binds to in client mode.  It reports every PDU it receives as
// a JSON line on stdout, answers what an SMSC answers (binds, submit_sm,
// data_sm, enquire_link, unbind; generic_nack for the rest), can throttle,
// delay or withhold responses and send delivery receipts, and sends PDUs it
// is told to on stdin.  The protocol is in README.md.  127.0.0.1 only.
'use strict';

const P = require('./lib/peer');
const { smpp, out } = P;

const USAGE = 'node smsc.js [--port N] [--system-id S] [--password P] [--dlr] ' +
    '[--throttle N] [--resp-delay MS] [--no-resp] [--dlr-delay MS] ' +
    '[--resp-timeout MS] [--hex] [--dc0 gsm|latin1] [--max-time MS]';
const { opts } = P.parseArgs(process.argv.slice(2), {
    port: { type: 'int', def: 0 },
    'system-id': { type: 'str', def: null },
    password: { type: 'str', def: null },
    dlr: { type: 'bool', def: false },
    'dlr-delay': { type: 'int', def: 0 },
    throttle: { type: 'int', def: 0 },
    'resp-delay': { type: 'int', def: 0 },
    'no-resp': { type: 'bool', def: false },
    'resp-timeout': { type: 'int', def: 10000 },
    hex: { type: 'bool', def: false },
    dc0: { type: 'str', def: 'gsm' },
    'max-time': { type: 'int', def: 600000 },
}, USAGE);
P.text.setDc0(opts.dc0);

const BIND_MODES = {
    bind_transmitter: { tx: true, rx: false },
    bind_receiver: { tx: false, rx: true },
    bind_transceiver: { tx: true, rx: true },
};
// Requests this SMSC serves once bound, and the direction each needs.
const SERVED = { submit_sm: 'tx', data_sm: 'tx', enquire_link: null, unbind: null };

const sessions = new Map(); // id -> {id, s, bound, mode, system_id, pending}
let nextSession = 1, nextMessageId = 1, throttleLeft = opts.throttle;
const stats = { sessions: 0, binds: 0, bind_failures: 0, dlrs: 0, throttled: 0,
    timeouts: 0, rx: {}, tx: {} };

function count(table, command) {
    table[command] = (table[command] || 0) + 1;
}

// Send a response now or after --resp-delay; returns nothing (fire and forget).
function respond(sess, resp, after) {
    const go = () => {
        if (sess.s.send(resp))
            count(stats.tx, resp.command);
        if (after)
            after();
    };
    if (opts['resp-delay'] > 0)
        setTimeout(go, opts['resp-delay']);
    else
        go();
}

// A request to kpassd: remember it so that the response is reported as
// {"event":"resp"} (or {"event":"timeout"} after --resp-timeout).
function request(sess, pdu, onResp) {
    if (!sess.s.send(pdu))
        return false;
    count(stats.tx, pdu.command);
    const seq = pdu.sequence_number;
    const timer = setTimeout(() => {
        sess.pending.delete(seq);
        stats.timeouts++;
        out({ event: 'timeout', session: sess.id, command: pdu.command, sequence_number: seq });
    }, opts['resp-timeout']);
    timer.unref();
    sess.pending.set(seq, { command: pdu.command, timer, onResp });
    out({ event: 'sent', session: sess.id, command: pdu.command, sequence_number: seq });
    return true;
}

function onBind(sess, pdu) {
    let status = 0;
    if (sess.bound)
        status = smpp.ESME_RALYBND;
    else if (opts['system-id'] !== null && pdu.system_id !== opts['system-id'])
        status = smpp.ESME_RINVSYSID;
    else if (opts.password !== null && pdu.password !== opts.password)
        status = smpp.ESME_RINVPASWD;
    out({ event: 'bind', session: sess.id, command: pdu.command, system_id: pdu.system_id,
        system_type: pdu.system_type, interface_version: pdu.interface_version, status });
    if (status === 0) {
        sess.bound = true;
        sess.mode = BIND_MODES[pdu.command];
        sess.system_id = pdu.system_id;
        stats.binds++;
        respond(sess, pdu.response({ system_id: 'kpsmsc' }));
    } else {
        stats.bind_failures++;
        respond(sess, pdu.response({ command_status: status }));
    }
}

// SMPP 3.4 Appendix B: the text form of a delivery receipt.
function smppDate(d) {
    const p = (n) => String(n).padStart(2, '0');
    return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) +
        p(d.getUTCHours()) + p(d.getUTCMinutes());
}

function receiptText(id, submitted, pdu) {
    let orig = '';
    if (Buffer.isBuffer(pdu.short_message) && typeof pdu.data_coding === 'number') {
        const r = P.text.decode(pdu.short_message, pdu.data_coding);
        orig = r.text === undefined ? '' : r.text;
    }
    orig = [...orig.slice(0, 20)].map((c) => (P.text.gsmEncode(c) ? c : '?')).join('');
    return `id:${id} sub:001 dlvrd:001 submit date:${smppDate(submitted)} ` +
        `done date:${smppDate(new Date())} stat:DELIVRD err:000 text:${orig}`;
}

// Where a receipt for sess's message goes: sess itself if it receives,
// else another receiving session of the same system_id.
function receiptSession(sess) {
    if (sess.mode.rx && sess.s.socket.writable)
        return sess;
    for (const o of sessions.values())
        if (o.bound && o.mode.rx && o.system_id === sess.system_id && o.s.socket.writable)
            return o;
    return null;
}

function sendReceipt(sess, id, submitted, pdu) {
    const to = receiptSession(sess);
    if (!to) {
        out({ event: 'error', session: sess.id, reason: `no receiver bound for the receipt of ${id}` });
        return;
    }
    const dlr = new smpp.PDU('deliver_sm', {
        source_addr_ton: pdu.dest_addr_ton, source_addr_npi: pdu.dest_addr_npi,
        source_addr: pdu.destination_addr,
        dest_addr_ton: pdu.source_addr_ton, dest_addr_npi: pdu.source_addr_npi,
        destination_addr: pdu.source_addr,
        esm_class: 0x04, data_coding: 0,
        short_message: P.text.gsmEncode(receiptText(id, submitted, pdu)),
        receipted_message_id: id,
        message_state: smpp.MESSAGE_STATE.DELIVERED,
    });
    stats.dlrs++;
    out({ event: 'dlr', session: to.id, message_id: id });
    request(to, dlr);
}

function onSubmit(sess, pdu) {
    if (pdu.command === 'submit_sm' && opts['no-resp'])
        return;
    if (pdu.command === 'submit_sm' && throttleLeft > 0) {
        throttleLeft--;
        stats.throttled++;
        respond(sess, pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
        return;
    }
    const id = String(nextMessageId++), submitted = new Date();
    const wantDlr = opts.dlr && pdu.command === 'submit_sm' && (pdu.registered_delivery & 1);
    respond(sess, pdu.response({ message_id: id }), wantDlr ? () => {
        setTimeout(() => sendReceipt(sess, id, submitted, pdu), opts['dlr-delay']);
    } : null);
}

function onResponse(sess, pdu) {
    const p = sess.pending.get(pdu.sequence_number);
    const fromUs = p && (pdu.command === p.command + '_resp' || pdu.command === 'generic_nack');
    if (!fromUs)
        return;
    clearTimeout(p.timer);
    sess.pending.delete(pdu.sequence_number);
    out(Object.assign({ event: 'resp', session: sess.id }, P.pduJson(pdu, opts.hex)));
    if (p.onResp)
        p.onResp(pdu);
}

function onRequest(sess, pdu) {
    if (pdu.command === 'malformed') {
        respond(sess, new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number,
            command_status: smpp.ESME_RINVCMDLEN }));
        return;
    }
    if (BIND_MODES[pdu.command]) {
        onBind(sess, pdu);
        return;
    }
    if (!(pdu.command in SERVED)) {
        // Unknown, or known but not served by this SMSC (SMPP 3.4 §4.3).
        respond(sess, new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number,
            command_status: smpp.ESME_RINVCMDID }));
        return;
    }
    const need = SERVED[pdu.command];
    if (pdu.command !== 'enquire_link' && (!sess.bound || (need && !sess.mode[need]))) {
        // SMPP 3.4 §5.1.3: ESME_RINVBNDSTS, incorrect bind status.
        respond(sess, pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
        return;
    }
    if (pdu.command === 'enquire_link') {
        respond(sess, pdu.response());
    } else if (pdu.command === 'unbind') {
        out({ event: 'unbind', session: sess.id, sequence_number: pdu.sequence_number });
        sess.bound = false;
        respond(sess, pdu.response(), () => sess.s.close());
    } else {
        onSubmit(sess, pdu);
    }
}

function onPdu(sess, pdu) {
    count(stats.rx, pdu.command);
    out(Object.assign({ event: 'pdu', session: sess.id }, P.pduJson(pdu, opts.hex)));
    if (pdu.isResponse())
        onResponse(sess, pdu);
    else
        onRequest(sess, pdu);
}

const server = smpp.createServer((s) => {
    const sess = { id: nextSession++, s, bound: false, mode: null, system_id: null,
        pending: new Map() };
    sessions.set(sess.id, sess);
    stats.sessions++;
    s.socket.setNoDelay(true);
    out({ event: 'connect', session: sess.id });
    s.on('pdu', (pdu) => onPdu(sess, pdu));
    s.on('error', (e) => {
        out({ event: 'error', session: sess.id, reason: e.message });
        s.destroy();
    });
    s.on('close', () => {
        for (const p of sess.pending.values())
            clearTimeout(p.timer);
        sessions.delete(sess.id);
        out({ event: 'close', session: sess.id });
    });
});

// The session a command names; null/absent: the first bound one.
function pickSession(cmd) {
    if (cmd.session !== undefined && cmd.session !== null) {
        const sess = sessions.get(cmd.session);
        if (!sess)
            throw new Error(`no session ${cmd.session}`);
        return sess;
    }
    for (const sess of sessions.values())
        if (sess.bound)
            return sess;
    throw new Error('no bound session');
}

function quit(code) {
    out(Object.assign({ event: 'stats' }, stats));
    for (const sess of sessions.values())
        sess.s.destroy();
    server.close();
    process.exit(code);
}

function runCommand(cmd) {
    switch (cmd.cmd) {
    case 'send': {
        const sess = pickSession(cmd);
        const pdu = P.pduBuild(cmd.pdu, cmd.fields, cmd.sequence_number, cmd.command_status);
        if (pdu.isResponse()) {
            if (sess.s.send(pdu))
                count(stats.tx, pdu.command);
        } else if (!request(sess, pdu)) {
            throw new Error(`session ${sess.id} is not writable`);
        }
        break;
    }
    case 'raw': {
        const sess = pickSession(cmd);
        sess.s.socket.write(P.hexBuffer('hex', cmd.hex));
        out({ event: 'sent', session: sess.id, command: 'raw', bytes: cmd.hex.length / 2 });
        break;
    }
    case 'enquire_link':
        request(pickSession(cmd), new smpp.PDU('enquire_link'));
        break;
    case 'unbind': {
        const sess = pickSession(cmd);
        request(sess, new smpp.PDU('unbind'), () => { sess.bound = false; sess.s.close(); });
        break;
    }
    case 'close':
        pickSession(cmd).s.destroy();
        break;
    case 'stats':
        out(Object.assign({ event: 'stats' }, stats));
        break;
    case 'quit':
        quit(0);
        break;
    default:
        throw new Error(`unknown cmd '${cmd.cmd}'`);
    }
}

P.stdinLines((line) => {
    if (!line.trim())
        return;
    let cmd;
    try {
        cmd = JSON.parse(line);
        runCommand(cmd);
    } catch (e) {
        out({ event: 'error', cmd: cmd ? cmd.cmd : null, reason: e.message });
    }
}, () => quit(0));

P.lifetime(opts['max-time'], () => {
    out({ event: 'error', reason: `--max-time ${opts['max-time']} ms reached` });
    quit(1);
});
process.on('SIGTERM', () => quit(0));
process.on('SIGINT', () => quit(0));

server.on('error', (e) => {
    out({ event: 'error', reason: `listen: ${e.message}` });
    process.exit(1);
});
server.listen(opts.port, '127.0.0.1', () => {
    out({ event: 'listening', port: server.address().port });
});
