#!/usr/bin/env node
// SPDX-License-Identifier: ISC
//
// Reference SMPP server for benchmarks, on the npm `smpp` package: accepts
// any bind and answers enquire_link, submit_sm and data_sm (message_id a
// counter) as fast as the package allows, without per-PDU output, so that
// kpassd's link layer can be compared under the same load.  Prints the
// listening line as smsc.js does and a stats line at exit.  127.0.0.1 only.
'use strict';

const P = require('./lib/peer');
const { smpp, out } = P;

const { opts } = P.parseArgs(process.argv.slice(2), {
    port: { type: 'int', def: 0 },
    'no-stdin': { type: 'bool', def: false },
    'max-time': { type: 'int', def: 3600000 },
}, 'node bench_server.js [--port N] [--no-stdin] [--max-time MS]');

const started = process.hrtime.bigint();
let nextId = 1, open = 0;
const stats = { sessions: 0, binds: 0, submit_sm: 0, data_sm: 0, enquire_link: 0,
    unbind: 0, generic_nack: 0, responses: 0 };
const sockets = new Set();

function onPdu(s, pdu) {
    let resp;
    switch (pdu.command) {
    case 'submit_sm':
    case 'data_sm':
        stats[pdu.command]++;
        resp = pdu.response({ message_id: String(nextId++) });
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
