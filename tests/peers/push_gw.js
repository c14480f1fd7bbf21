#!/usr/bin/env node
// SPDX-License-Identifier: ISC
//
// An operator's USSD gateway that carries kpass's "was this you?" pushes
// (network-initiated USSR, SMPP 3.4 §5.3.2.44 op 2) to a subscriber and
// brings the answer back, on the npm `smpp` package (independent of
// kpass's codec).  It binds to kpassd as an ESME (server mode), answers
// every deliver_sm, and for a push in its_session_info session S:
//   {"event":"push","msisdn":..,"text":..,"op":2,"session":S}
// then, with --answer X, sends the subscriber's reply X as a submit_sm
// with op 18 in the same session (next sequence number), and prints the
// screen that ends the dialog:
//   {"event":"end","text":..,"op":17,"session":S,"session_end":true}
// {"event":"bound"} first.  Exits at stdin's end, on SIGTERM, after --max-time.
'use strict';

const P = require('./lib/peer');
const { smpp } = P;

const USAGE = 'node push_gw.js --port N --system-id S --password P [--answer TEXT]';
const { opts } = P.parseArgs(process.argv.slice(2), {
    port: { type: 'int', def: 0 },
    'system-id': { type: 'str', def: '' },
    password: { type: 'str', def: '' },
    answer: { type: 'str', def: null },
    'max-time': { type: 'int', def: 60000 },
}, USAGE);

const say = (o) => P.out(o);
const s = smpp.connect({ host: '127.0.0.1', port: opts.port });
let seq = 1000;

function text(pdu) {
    const msg = Buffer.isBuffer(pdu.short_message) && pdu.short_message.length
        ? pdu.short_message : pdu.message_payload;
    const r = Buffer.isBuffer(msg) ? P.text.decode(msg, pdu.data_coding) : { text: null };
    return r.text === undefined ? null : r.text;
}

s.on('connect', () => {
    s.send(new smpp.PDU('bind_transceiver', { system_id: opts['system-id'],
        password: opts.password, interface_version: 0x34 }));
});
s.on('error', (e) => { say({ event: 'error', error: e.message }); process.exit(1); });
s.on('close', () => process.exit(0));
s.on('pdu', (pdu) => {
    if (pdu.command === 'bind_transceiver_resp') {
        say({ event: pdu.command_status === 0 ? 'bound' : 'refused', status: pdu.command_status });
        return;
    }
    if (pdu.isResponse())
        return;
    if (pdu.command === 'enquire_link' || pdu.command === 'unbind') {
        s.send(pdu.response());
        return;
    }
    if (pdu.command !== 'deliver_sm' && pdu.command !== 'data_sm') {
        s.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number,
            command_status: smpp.ESME_RINVCMDID }));
        return;
    }
    s.send(pdu.response());
    const its = Buffer.isBuffer(pdu.its_session_info) ? P.itsDecode(pdu.its_session_info) : null;
    const line = { msisdn: pdu.destination_addr, text: text(pdu), op: pdu.ussd_service_op,
        session: its ? its.session_number : null };
    if (pdu.ussd_service_op === 2 && its) {
        say(Object.assign({ event: 'push' }, line));
        if (opts.answer === null)
            return;
        // The subscriber's reply, in the network's session (SMPP 3.4 §5.3.2.43).
        s.send(new smpp.PDU('submit_sm', {
            sequence_number: ++seq, service_type: 'USSD',
            source_addr_ton: 1, source_addr_npi: 1, source_addr: String(pdu.destination_addr),
            dest_addr_ton: pdu.source_addr_ton, dest_addr_npi: pdu.source_addr_npi,
            destination_addr: String(pdu.source_addr), data_coding: 0, ussd_service_op: 18,
            short_message: P.text.encode(opts.answer, 0).buf,
            its_session_info: P.itsEncode({ session_number: its.session_number,
                sequence_number: (its.sequence_number + 1) & 0x7f, end: false }),
        }));
        return;
    }
    say(Object.assign({ event: pdu.ussd_service_op === 17 ? 'end' : 'other',
        session_end: its ? its.end : null }, line));
});
P.stdinLines(() => {}, () => process.exit(0));
P.lifetime(opts['max-time'], () => process.exit(1));
