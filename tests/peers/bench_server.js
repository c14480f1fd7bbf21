#!/usr/bin/env node
// SPDX-License-Identifier: ISC
//
// Reference SMPP server for benchmarks, on the npm `smpp` package: accepts
// any bind and answers enquire_link, submit_sm and data_sm (message_id a
// counter) as fast as the package allows, without per-PDU output, so that
// kpassd's link layer can be compared under the same load.  Prints the
// listening line as smsc.js does and a stats line at exit.  127.0.0.1 only.
//
// With --ussd it is also a USSD application, the reference for
// `kpass bench --mode ussd` (tests/bench/compare.sh): each submit_sm that
// carries ussd_service_op is answered with submit_sm_resp and then a
// deliver_sm holding the next screen of a small menu kept in memory (a Map
// from the caller's number to the screen), ussd_service_op USSR_REQ and the
// caller's its_session_info: what kpassd does per hop minus the database.
'use strict';

const P = require('./lib/peer');
const { smpp, out } = P;

const { opts } = P.parseArgs(process.argv.slice(2), {
    port: { type: 'int', def: 0 },
    'no-stdin': { type: 'bool', def: false },
    'max-time': { type: 'int', def: 3600000 },
    ussd: { type: 'bool', def: false },
}, 'node bench_server.js [--port N] [--no-stdin] [--max-time MS] [--ussd]');

const started = process.hrtime.bigint();
let nextId = 1, open = 0;
const stats = { sessions: 0, binds: 0, submit_sm: 0, data_sm: 0, enquire_link: 0,
    unbind: 0, generic_nack: 0, responses: 0 };
const sockets = new Set();

// --ussd: the menu (screen -> text and the screens its choices lead to) and
// each caller's screen.  SMPP 3.4 §5.3.2.44: PSSR_IND 1 begins a dialog,
// USSR_CONF 18 answers a screen, USSR_REQ 2 asks for the next answer.
const MENU = {
    main: { text: 'KPass\n1 My ID\n2 Verify\n3 Language\n0 Exit',
        next: { 1: 'id', 2: 'verify', 3: 'lang' } },
    id: { text: 'My ID\n1 Show code\n2 New code\n00 Main menu',
        next: { 1: 'code', 2: 'code', '00': 'main' } },
    verify: { text: 'Verify\n1 Enter code\n00 Main menu', next: { 1: 'code', '00': 'main' } },
    lang: { text: 'Language\n1 English\n2 Urdu\n00 Main menu', next: { '00': 'main' } },
    code: { text: 'Your code: 123-456\n00 Main menu', next: { '00': 'main' } },
};
const dialogs = new Map();
stats.ussd_hops = 0;

function ussdHop(s, pdu) {
    const caller = pdu.source_addr;
    const input = Buffer.isBuffer(pdu.short_message) ? pdu.short_message.toString('latin1')
        : (pdu.short_message && pdu.short_message.message) || '';
    let screen = 'main';
    if (pdu.ussd_service_op !== 1) {
        const at = MENU[dialogs.get(caller)] || MENU.main;
        screen = at.next[input] || dialogs.get(caller) || 'main';
    }
    dialogs.set(caller, screen);
    stats.ussd_hops++;
    s.send(new smpp.PDU('deliver_sm', {
        service_type: 'USSD', source_addr_ton: 0, source_addr_npi: 1,
        source_addr: pdu.destination_addr, dest_addr_ton: 1, dest_addr_npi: 1,
        destination_addr: caller, data_coding: 0,
        short_message: Buffer.from(MENU[screen].text, 'latin1'),
        ussd_service_op: 2, its_session_info: pdu.its_session_info,
    }));
}

function onPdu(s, pdu) {
    let resp;
    switch (pdu.command) {
    case 'submit_sm':
    case 'data_sm':
        stats[pdu.command]++;
        resp = pdu.response({ message_id: String(nextId++) });
        if (opts.ussd && pdu.ussd_service_op !== undefined) {
            s.send(resp);
            stats.responses++;
            ussdHop(s, pdu);
            return;
        }
        break;
    case 'bind_transceiver':
    case 'bind_transmitter':
    case 'bind_receiver':
        stats.binds++;
        resp = pdu.response({ system_id: 'kpbench' });
        break;
    case 'enquire_link':
        stats.enquire_link++;
        resp = pdu.response();
        break;
    case 'unbind':
        stats.unbind++;
        s.send(pdu.response());
        stats.responses++;
        s.close();
        return;
    default:
        if (pdu.isResponse())
            return;
        stats.generic_nack++;
        resp = new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number,
            command_status: pdu.command === 'malformed' ? smpp.ESME_RINVCMDLEN : smpp.ESME_RINVCMDID });
    }
    s.send(resp);
    stats.responses++;
}

const server = smpp.createServer((s) => {
    stats.sessions++;
    open++;
    sockets.add(s);
    s.socket.setNoDelay(true);
    s.on('pdu', (pdu) => onPdu(s, pdu));
    s.on('error', () => s.destroy());
    s.on('close', () => { open--; sockets.delete(s); });
});

function quit(code) {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    out(Object.assign({ event: 'stats', open, elapsed_ms: Math.round(ms) }, stats));
    for (const s of sockets)
        s.destroy();
    process.exit(code);
}

if (!opts['no-stdin']) {
    P.stdinLines((line) => {
        let cmd = null;
        try {
            cmd = JSON.parse(line);
        } catch (e) {
            cmd = null;
        }
        if (cmd && cmd.cmd === 'quit')
            quit(0);
        else if (cmd && cmd.cmd === 'stats')
            out(Object.assign({ event: 'stats', open }, stats));
        else if (line.trim())
            out({ event: 'error', reason: 'commands: {"cmd":"stats"}, {"cmd":"quit"}' });
    }, () => quit(0));
}
P.lifetime(opts['max-time'], () => quit(1));
process.on('SIGTERM', () => quit(0));
process.on('SIGINT', () => quit(0));
server.on('error', (e) => {
    out({ event: 'error', reason: `listen: ${e.message}` });
    process.exit(1);
});
server.listen(opts.port, '127.0.0.1', () => {
    out({ event: 'listening', port: server.address().port });
});
