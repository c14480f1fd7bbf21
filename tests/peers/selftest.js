#!/usr/bin/env node
// SPDX-License-Identifier: ISC
//
// Self-test of the peers without kpassd: the text codec and field mapping
// as tables, then smsc.js driven over its stdin while client.js runs its
// interop, ussd and raw modes against it (smsc.js standing in for the USSD
// application by answering MOs with screens), and bench_server.js under a
// bounded load.  Run: node tests/peers/selftest.js (node's test runner;
// ends with its pass/fail counts).  Every wait is bounded.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('child_process');
const path = require('path');
const readline = require('readline');
const P = require('./lib/peer');
const T = require('./lib/text');

const WAIT = 4000;

// Every program a test starts; whatever a failed test leaves running is
// killed after it, so that a failure never leaves the runner waiting.
const live = new Set();
test.afterEach(() => {
    for (const p of live)
        p.kill('SIGKILL');
});

// A peer program with JSON lines on stdout; lines are matched in order and
// each line is returned by waitFor at most once.
class Proc {
    constructor(script, args) {
        this.p = spawn(process.execPath, [path.join(__dirname, script), ...args],
            { stdio: ['pipe', 'pipe', 'pipe'] });
        live.add(this.p);
        this.lines = [];
        this.used = new Set();
        this.waiters = new Set();
        this.stderr = '';
        this.p.stderr.on('data', (d) => { this.stderr += d; });
        readline.createInterface({ input: this.p.stdout }).on('line', (l) => {
            let o;
            try {
                o = JSON.parse(l);
            } catch (e) {
                o = { unparsed: l };
            }
            this.lines.push(o);
            for (const w of this.waiters)
                w();
        });
        this.exited = new Promise((resolve) => this.p.on('exit', (code, sig) => {
            live.delete(this.p);
            this.code = code;
            for (const w of this.waiters)
                w();
            resolve({ code, sig });
        }));
        this.p.stdin.on('error', () => {});
    }

    waitFor(pred, ms = WAIT) {
        return new Promise((resolve, reject) => {
            const look = () => {
                for (let i = 0; i < this.lines.length; i++) {
                    if (!this.used.has(i) && pred(this.lines[i])) {
                        this.used.add(i);
                        done();
                        resolve(this.lines[i]);
                        return true;
                    }
                }
                return false;
            };
            const timer = setTimeout(() => {
                done();
                reject(new Error(`timed out; lines:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${this.stderr}`));
            }, ms);
            const done = () => { clearTimeout(timer); this.waiters.delete(look); };
            if (!look())
                this.waiters.add(look);
        });
    }

    send(obj) {
        this.p.stdin.write(JSON.stringify(obj) + '\n');
    }

    async stop() {
        this.p.stdin.end();
        const t = setTimeout(() => this.p.kill('SIGKILL'), WAIT);
        const r = await this.exited;
        clearTimeout(t);
        return r;
    }
}

async function startSmsc(args = []) {
    const smsc = new Proc('smsc.js', args);
    const l = await smsc.waitFor((o) => o.event === 'listening');
    smsc.port = l.port;
    return smsc;
}

// Run client.js to its end; {code, lines, result}.
async function runClient(port, args, input) {
    const c = new Proc('client.js', ['--port', String(port), '--system-id', 'kp', '--password', 'pw', ...args]);
    if (input !== undefined)
        c.p.stdin.write(input);
    c.p.stdin.end();
    const t = setTimeout(() => c.p.kill('SIGKILL'), 20000);
    const { code } = await c.exited;
    clearTimeout(t);
    return { code, lines: c.lines, result: c.lines.find((l) => l.result), stderr: c.stderr };
}

const isEvent = (ev, extra) => (o) => o.event === ev &&
    Object.entries(extra || {}).every(([k, v]) => o[k] === v);

// ---------------------------------------------------------------- codecs

test('GSM 03.38 / UCS-2 / IA5 / Latin-1 codec table', () => {
    const cases = [
        // [data_coding, text, hex or null when not encodable]
        [0, 'Khyber Pass', '4b68796265722050617373'],
        [0, '@£$¥_', '0001020311'],
        [0, 'ÄÖÑÜ§¿äöñüà', '5b5c5d5e5f607b7c7d7e7f'],
        [0, '{}[]~|\\^€\f', '1b281b291b3c1b3e1b3d1b401b2f1b141b651b0a'],
        [0, '1 Find\n2 Code', '312046696e640a3220436f6465'],
        [0, 'خیبر', null],
        [0, '`', null],
        [8, 'خیبر پاس', '062e06cc062806310020067e06270633'],
        [8, '😀', 'd83dde00'],
        [1, 'abc', '616263'],
        [1, 'é', null],
        [3, 'é', 'e9'],
        [3, 'Ω', null],
    ];
    for (const [dc, s, hex] of cases) {
        const r = T.encode(s, dc);
        if (hex === null) {
            assert.ok(r.error, `${s} must not encode in ${dc}`);
            continue;
        }
        assert.equal(r.buf.toString('hex'), hex, `encode ${s} dc ${dc}`);
        assert.deepEqual(T.decode(r.buf, dc), { text: s }, `decode ${hex} dc ${dc}`);
    }
    assert.equal(T.encode('abc').data_coding, 0);
    assert.equal(T.encode('خیبر').data_coding, 8);
});

test('codec rejects malformed wire text', () => {
    const bad = [
        [0, '41ff', /not a septet/],
        [0, '411b', /trailing ESC/],
        [8, '004100', /odd UCS-2 length/],
        [8, 'd83d0041', /unpaired high surrogate/],
        [8, 'de00', /unpaired low surrogate/],
        [1, '80', /not IA5/],
        [4, '00', /not text/],
    ];
    for (const [dc, hex, re] of bad) {
        const r = T.decode(Buffer.from(hex, 'hex'), dc);
        assert.equal(r.text, undefined, `${hex} dc ${dc} must not decode`);
        assert.match(r.error, re);
    }
    // §6.2.1.1: an undefined extension code shows the basic character,
    // ESC ESC a space.
    assert.deepEqual(T.decode(Buffer.from('1b411b1b', 'hex'), 0), { text: 'A ' });
});

test('fields to PDU and back', () => {
    const pdu = P.pduBuild('deliver_sm', {
        source_addr: '789', destination_addr: '923001234567', esm_class: 0,
        short_message_text: 'خیبر', ussd_service_op: 2,
        its_session_info: { session_number: 7, sequence_number: 3, end: true },
        tlv_0x1400_hex: 'cafe',
    }, 42);
    const back = P.pduFromBuffer(pdu.toBuffer());
    const j = P.pduJson(back, true);
    assert.equal(j.command, 'deliver_sm');
    assert.equal(j.sequence_number, 42);
    assert.equal(j.fields.data_coding, 8);
    assert.equal(j.fields.text, 'خیبر');
    assert.equal(j.fields.ussd_service_op, 2);
    assert.equal(j.fields.its_session_info_hex, '0707');
    assert.deepEqual(j.fields.its_session_info, { session_number: 7, sequence_number: 3, end: true });
    assert.equal(j.fields.tlv_0x1400_hex, 'cafe');
    assert.throws(() => P.pduBuild('deliver_sm', { no_such_field: 1 }), /no field 'no_such_field'/);
    assert.throws(() => P.pduBuild('deliver_sm', { short_message_text: 'x'.repeat(255) }), /at most 254/);
    assert.throws(() => P.pduBuild('deliver_sm', { short_message_hex: 'zz' }), /not a hex string/);
    // A TLV whose value is cut off by command_length: reported, not thrown.
    const m = P.pduFromBuffer(Buffer.from('0000001400000015000000000000000105010001', 'hex'));
    assert.equal(m.command, 'malformed');
    assert.equal(m.sequence_number, 1);
    assert.match(m.decode_error, /out of range/);
});

// ---------------------------------------------------------------- smsc + client

test('interop against smsc.js: every step answered in order', async () => {
    const smsc = await startSmsc(['--system-id', 'kp', '--password', 'pw']);
    const r = await runClient(smsc.port, ['interop', '--text', 'Hello @ $5']);
    assert.equal(r.code, 0, JSON.stringify(r.lines));
    const steps = r.lines.filter((l) => l.step).map((l) => [l.step, l.command, l.sequence_number, l.status]);
    assert.deepEqual(steps, [
        ['bind', 'bind_transceiver_resp', 1, 0],
        ['enquire_link', 'enquire_link_resp', 2, 0],
        ['submit_sm', 'submit_sm_resp', 3, 0],
        ['data_sm', 'data_sm_resp', 4, 0],
        ['unbind', 'unbind_resp', 5, 0],
    ]);
    const b = await smsc.waitFor(isEvent('bind'));
    assert.equal(b.status, 0);
    assert.equal(b.interface_version, 0x34);
    const sm = await smsc.waitFor(isEvent('pdu', { command: 'submit_sm' }));
    assert.equal(sm.fields.text, 'Hello @ $5');
    assert.equal(sm.fields.short_message_hex, '48656c6c6f20002002' + '35');
    const ds = await smsc.waitFor(isEvent('pdu', { command: 'data_sm' }));
    assert.equal(ds.fields.message_payload_hex, sm.fields.short_message_hex);
    await smsc.waitFor(isEvent('unbind'));
    await smsc.waitFor(isEvent('close'));
    const { code } = await smsc.stop();
    assert.equal(code, 0);
    const st = smsc.lines.find((l) => l.event === 'stats');
    assert.equal(st.binds, 1);
    assert.equal(st.rx.submit_sm, 1);
    assert.equal(st.tx.unbind_resp, 1);
});

test('bind refused: wrong password, wrong system_id', async () => {
    const smsc = await startSmsc(['--system-id', 'kp', '--password', 'secret']);
    const r1 = await runClient(smsc.port, ['interop']);
    assert.equal(r1.code, 1);
    assert.match(r1.result.reason, /bind refused with status 0xe$/);
    const r2 = await runClient(smsc.port, ['--system-id', 'other', 'interop']);
    assert.equal(r2.code, 1);
    assert.match(r2.result.reason, /status 0xf$/);
    assert.equal((await smsc.waitFor(isEvent('bind'))).status, 0x0e);
    assert.equal((await smsc.waitFor(isEvent('bind'))).status, 0x0f);
    await smsc.stop();
    assert.equal(smsc.lines.find((l) => l.event === 'stats').bind_failures, 2);
});

test('smsc sends deliver_sm, enquire_link and a vendor TLV; client answers', async () => {
    const smsc = await startSmsc();
    const cp = runClient(smsc.port, ['interop', '--hold', '1500']);
    await smsc.waitFor(isEvent('pdu', { command: 'data_sm' }));
    smsc.send({ cmd: 'send', session: null, pdu: 'deliver_sm', fields: {
        source_addr: '789', destination_addr: '923001234567', short_message_text: 'خیبر پاس',
        data_coding: 8, ussd_service_op: 2, tlv_0x1400_hex: '0102' } });
    smsc.send({ cmd: 'enquire_link' });
    const sent = await smsc.waitFor(isEvent('sent', { command: 'deliver_sm' }));
    const resp = await smsc.waitFor(isEvent('resp', { command: 'deliver_sm_resp' }));
    assert.equal(resp.sequence_number, sent.sequence_number);
    assert.equal(resp.command_status, 0);
    assert.equal((await smsc.waitFor(isEvent('resp', { command: 'enquire_link_resp' }))).command_status, 0);
    const r = await cp;
    assert.equal(r.code, 0);
    const recv = r.lines.find((l) => l.step === 'recv' && l.command === 'deliver_sm');
    assert.equal(recv.fields.text, 'خیبر پاس');
    assert.equal(recv.fields.tlv_0x1400_hex, '0102');
    assert.equal(recv.answer, 'deliver_sm_resp');
    assert.ok(r.lines.find((l) => l.step === 'recv' && l.command === 'enquire_link'));
    await smsc.stop();
});

test('--throttle answers ESME_RTHROTTLED; --strict turns it into a failure', async () => {
    const smsc = await startSmsc(['--throttle', '1']);
    const r1 = await runClient(smsc.port, ['interop']);
    assert.equal(r1.code, 0);
    assert.equal(r1.lines.find((l) => l.step === 'submit_sm').status, 0x58);
    const r2 = await runClient(smsc.port, ['interop', '--strict']);
    assert.equal(r2.code, 0, 'only the first submit_sm is throttled');
    await smsc.stop();
    const smsc2 = await startSmsc(['--throttle', '5']);
    const r3 = await runClient(smsc2.port, ['interop', '--strict']);
    assert.equal(r3.code, 1);
    assert.match(r3.result.reason, /submit_sm: status 0x58/);
    await smsc2.stop();
});

test('--no-resp: the client times out; --resp-delay delays every answer', async () => {
    const smsc = await startSmsc(['--no-resp']);
    const r = await runClient(smsc.port, ['interop', '--timeout', '400']);
    assert.equal(r.code, 1);
    assert.match(r.result.reason, /^submit_sm \(sequence_number 3\): no response within 400 ms$/);
    // The test answers the withheld submit_sm itself, with a status.
    const cp = runClient(smsc.port, ['interop']);
    const sm = await smsc.waitFor(isEvent('pdu', { command: 'submit_sm', session: 2 }));
    smsc.send({ cmd: 'send', session: 2, pdu: 'submit_sm_resp', sequence_number: sm.sequence_number,
        command_status: 0x58, fields: {} });
    const r1 = await cp;
    assert.equal(r1.code, 0, JSON.stringify(r1.lines));
    assert.equal(r1.lines.find((l) => l.step === 'submit_sm').status, 0x58);
    await smsc.stop();
    const slow = await startSmsc(['--resp-delay', '150']);
    const t0 = Date.now();
    const r2 = await runClient(slow.port, ['interop']);
    assert.equal(r2.code, 0);
    assert.ok(Date.now() - t0 >= 5 * 150, 'five answers, each 150 ms late');
    await slow.stop();
});

test('--dlr: a receipt with TLVs and the Appendix B text', async () => {
    const smsc = await startSmsc(['--dlr']);
    const r = await runClient(smsc.port, ['interop', '--registered-delivery', '1', '--hold', '500',
        '--text', 'a long text that goes past twenty']);
    assert.equal(r.code, 0);
    const id = r.lines.find((l) => l.step === 'submit_sm').message_id;
    const dlr = r.lines.find((l) => l.step === 'recv' && l.command === 'deliver_sm');
    assert.equal(dlr.fields.esm_class, 0x04);
    assert.equal(dlr.fields.receipted_message_id, id);
    assert.equal(dlr.fields.message_state, 2);
    assert.equal(dlr.fields.destination_addr, '923001234567');
    assert.match(dlr.fields.text, new RegExp(`^id:${id} sub:001 dlvrd:001 submit date:\\d{10} ` +
        'done date:\\d{10} stat:DELIVRD err:000 text:a long text that goe$'));
    // data_sm asked for no receipt: exactly one.
    assert.equal(r.lines.filter((l) => l.step === 'recv').length, 1);
    await smsc.waitFor(isEvent('resp', { command: 'deliver_sm_resp' }));
    // registered_delivery 0: no receipt.
    const r2 = await runClient(smsc.port, ['interop', '--hold', '300']);
    assert.equal(r2.code, 0);
    assert.equal(r2.lines.filter((l) => l.step === 'recv').length, 0);
    await smsc.stop();
    assert.equal(smsc.lines.find((l) => l.event === 'stats').dlrs, 1);
});

test('client refuses a wrong response: command, sequence number, generic_nack', async () => {
    const hdr = (id, status, seq) => [id, status, seq].map((n) => n.toString(16).padStart(8, '0')).join('');
    const cases = [
        // the submit_sm is sequence 3 (bind 1, enquire_link 2)
        [hdr(0x80000103, 0, 3) + '00', /^submit_sm \(sequence_number 3\) answered by data_sm_resp status 0x0$/],
        [hdr(0x80000004, 0, 99) + '00', /^submit_sm_resp with sequence_number 99 answers no request of ours$/],
        [hdr(0x80000000, 3, 3), /^submit_sm \(sequence_number 3\) answered by generic_nack status 0x3$/],
    ];
    for (const [body, re] of cases) {
        const smsc = await startSmsc(['--no-resp']);
        const cp = runClient(smsc.port, ['interop']);
        const sm = await smsc.waitFor(isEvent('pdu', { command: 'submit_sm' }));
        assert.equal(sm.sequence_number, 3);
        const len = (body.length / 2 + 4).toString(16).padStart(8, '0');
        smsc.send({ cmd: 'raw', session: sm.session, hex: len + body });
        const r = await cp;
        assert.equal(r.code, 1);
        assert.match(r.result.reason, re);
        await smsc.stop();
    }
});

test('smsc unbind and close commands end the client session', async () => {
    const smsc = await startSmsc();
    let cp = runClient(smsc.port, ['interop', '--hold', '3000']);
    await smsc.waitFor(isEvent('pdu', { command: 'data_sm' }));
    smsc.send({ cmd: 'unbind', session: 1 });
    assert.equal((await smsc.waitFor(isEvent('resp', { command: 'unbind_resp' }))).command_status, 0);
    await smsc.waitFor(isEvent('close', { session: 1 }));
    let r = await cp;
    assert.equal(r.code, 1);
    assert.equal(r.result.reason, 'kpassd unbound');
    cp = runClient(smsc.port, ['interop', '--hold', '3000']);
    await smsc.waitFor(isEvent('pdu', { command: 'data_sm', session: 2 }));
    smsc.send({ cmd: 'close', session: 2 });
    await smsc.waitFor(isEvent('close', { session: 2 }));
    r = await cp;
    assert.equal(r.code, 1);
    assert.equal(r.result.reason, 'kpassd closed the connection');
    smsc.send({ cmd: 'send', session: null, pdu: 'deliver_sm', fields: {} });
    assert.match((await smsc.waitFor(isEvent('error', { cmd: 'send' }))).reason, /no bound session/);
    smsc.send({ cmd: 'send', session: 9, pdu: 'deliver_sm', fields: {} });
    assert.match((await smsc.waitFor(isEvent('error', { cmd: 'send' }))).reason, /no session 9/);
    await smsc.stop();
});

// ---------------------------------------------------------------- ussd

// smsc.js as the USSD application: answer each MO with the next screen.
async function serveUssd(smsc, screens) {
    const mos = [];
    for (const sc of screens) {
        const mo = await smsc.waitFor((o) => o.event === 'pdu' &&
            (o.command === 'submit_sm' || o.command === 'data_sm') && o.fields.ussd_service_op !== undefined);
        mos.push(mo);
        const f = mo.fields;
        const fields = { source_addr: f.destination_addr, dest_addr_ton: 1, dest_addr_npi: 1,
            destination_addr: f.source_addr, ussd_service_op: sc.op, short_message_text: sc.text };
        if (sc.dc !== undefined)
            fields.data_coding = sc.dc;
        if (f.its_session_info)
            fields.its_session_info = { session_number: f.its_session_info.session_number,
                sequence_number: f.its_session_info.sequence_number + 1, end: sc.op === 17 };
        if (f.user_message_reference !== undefined)
            fields.user_message_reference = f.user_message_reference;
        Object.assign(fields, sc.override || {});
        smsc.send({ cmd: 'send', session: mo.session, pdu: 'deliver_sm', fields });
    }
    return mos;
}

const MAIN = 'Khyber Pass\n1 Find a service\n2 Get a code';

test('ussd dialog (its_session_info): begin, two continues, end', async () => {
    const smsc = await startSmsc();
    const served = serveUssd(smsc, [
        { op: 2, text: MAIN },
        { op: 2, text: 'خدمات\n1 تعلیم\n0 واپس' },
        { op: 17, text: 'Code sent by SMS. Bye {€}' },
    ]);
    const r = await runClient(smsc.port, ['ussd', '--msisdn', '+923001234567', '--dial', '*789#',
        '--session-tlv', 'its', '--session-id', '77', '--inputs', '1,2,9']);
    assert.equal(r.code, 0, JSON.stringify(r.lines));
    const screens = r.lines.filter((l) => 'screen' in l);
    assert.deepEqual(screens, [
        { screen: MAIN, op: 2, data_coding: 0, session_end: false },
        { screen: 'خدمات\n1 تعلیم\n0 واپس', op: 2, data_coding: 8, session_end: false },
        { screen: 'Code sent by SMS. Bye {€}', op: 17, data_coding: 0, session_end: true },
    ]);
    assert.deepEqual(r.result, { result: 'ok', screens: 3, ended: true, inputs_left: 1 });
    const mos = await served;
    assert.deepEqual(mos.map((m) => [m.fields.ussd_service_op, m.fields.text, m.fields.source_addr,
        m.fields.source_addr_ton, m.fields.destination_addr, m.fields.its_session_info.session_number,
        m.fields.its_session_info.sequence_number, m.fields.service_type]), [
        [1, '*789#', '923001234567', 1, '789', 77, 0, 'USSD'],
        [18, '1', '923001234567', 1, '789', 77, 2, 'USSD'],
        [18, '2', '923001234567', 1, '789', 77, 4, 'USSD'],
    ]);
    await smsc.stop();
});

test('ussd dialog with user_message_reference, data_sm MO, inputs run out', async () => {
    const smsc = await startSmsc();
    const served = serveUssd(smsc, [{ op: 2, text: MAIN }, { op: 2, text: 'Enter CNIC' }]);
    const r = await runClient(smsc.port, ['ussd', '--msisdn', '923001234567', '--dial', '*789*2#',
        '--session-tlv', 'umr', '--session-id', '4242', '--mo-pdu', 'data_sm', '--inputs', '2',
        '--abort-op', '129']);
    assert.equal(r.code, 0, JSON.stringify(r.lines));
    assert.deepEqual(r.result, { result: 'ok', screens: 2, ended: false, inputs_left: 0 });
    const mos = await served;
    assert.deepEqual(mos.map((m) => [m.command, m.fields.ussd_service_op, m.fields.text,
        m.fields.user_message_reference]), [['data_sm', 1, '*789*2#', 4242], ['data_sm', 18, '2', 4242]]);
    const abort = await smsc.waitFor((o) => o.event === 'pdu' && o.fields.ussd_service_op === 129);
    assert.equal(abort.fields.user_message_reference, 4242);
    await smsc.stop();
});

test('ussd without a session TLV', async () => {
    const smsc = await startSmsc();
    const served = serveUssd(smsc, [{ op: 17, text: 'Closed' }]);
    const r = await runClient(smsc.port, ['ussd', '--msisdn', '923001234567', '--session-tlv', 'none']);
    assert.equal(r.code, 0, JSON.stringify(r.lines));
    const [mo] = await served;
    assert.equal(mo.fields.its_session_info, undefined);
    assert.equal(mo.fields.user_message_reference, undefined);
    await smsc.stop();
});

test('ussd: a misbehaving gateway makes the client fail with a reason', async () => {
    const cases = [
        [{ op: 3, text: 'x' }, /ussd_service_op 3, not 2 or 17/],
        [{ op: 2, text: 'x', override: { ussd_service_op: undefined } }, /ussd_service_op missing/],
        [{ op: 2, text: 'x', override: { its_session_info: { session_number: 9, sequence_number: 1 } } },
            /its_session_info session 9, ours is 77/],
        [{ op: 2, text: 'x', override: { its_session_info_hex: '4d' } }, /missing or not 2 octets/],
        [{ op: 2, text: 'x', override: { destination_addr: '923009999999' } }, /not the subscriber/],
        [{ op: 2, text: 'x', override: { short_message_hex: '004100', data_coding: 8 } }, /odd UCS-2 length/],
        [{ op: 2, text: 'x', override: { short_message_hex: '41ff', data_coding: 0 } }, /not a septet/],
    ];
    for (const [sc, re] of cases) {
        const smsc = await startSmsc();
        const served = serveUssd(smsc, [sc]);
        const r = await runClient(smsc.port, ['ussd', '--msisdn', '923001234567', '--session-id', '77',
            '--inputs', '1']);
        assert.equal(r.code, 1, `${re}: ${JSON.stringify(r.lines)}`);
        assert.match(r.result.reason, re);
        await served;
        await smsc.stop();
    }
});

test('ussd: no screen within --timeout; MO refused', async () => {
    const smsc = await startSmsc();
    const r = await runClient(smsc.port, ['ussd', '--msisdn', '923001234567', '--timeout', '300']);
    assert.equal(r.code, 1);
    assert.equal(r.result.reason, 'no USSD screen within 300 ms');
    await smsc.stop();
    const thr = await startSmsc(['--throttle', '1']);
    const r2 = await runClient(thr.port, ['ussd', '--msisdn', '923001234567', '--timeout', '300']);
    assert.equal(r2.code, 1);
    assert.match(r2.result.reason, /^MO op 1 refused with status 0x58$/);
    await thr.stop();
});

// ---------------------------------------------------------------- raw

test('raw mode: golden PDUs and error cases against smsc.js', async () => {
    const smsc = await startSmsc();
    const submit = P.pduBuild('submit_sm', { source_addr: '1', destination_addr: '2',
        short_message_text: 'hi' }, 7).toBuffer().toString('hex');
    const input = [
        '# SMPP 3.4 §4.11.1 enquire_link, sequence 10',
        '00000010 00000015 00000000 0000000a',
        '# unknown command_id 0x99 -> generic_nack ESME_RINVCMDID',
        '00000010 00000099 00000000 0000000b',
        '# a TLV (ussd_service_op) whose value is cut off -> generic_nack ESME_RINVCMDLEN',
        '00000014 00000015 00000000 0000000c 05010001',
        submit,
        'wait 50',
        '00000010 00000006 00000000 0000000d',
    ].join('\n') + '\n';
    const r = await runClient(smsc.port, ['raw', '--linger', '2000'], input);
    assert.equal(r.code, 0, JSON.stringify(r.lines));
    const got = r.lines.filter((l) => l.event === 'pdu').map((l) => [l.command, l.sequence_number, l.command_status]);
    assert.deepEqual(got, [
        ['bind_transceiver_resp', 1, 0],
        ['enquire_link_resp', 10, 0],
        ['generic_nack', 11, 3],
        ['generic_nack', 12, 2],
        ['submit_sm_resp', 7, 0],
        ['unbind_resp', 13, 0],
    ]);
    assert.equal(r.lines.find((l) => l.command === 'enquire_link_resp').hex, '0000001080000015000000000000000a');
    assert.ok(r.lines.find((l) => l.event === 'close'), 'smsc closes after unbind_resp');
    const bad = await smsc.waitFor(isEvent('pdu', { command: 'malformed' }));
    assert.match(bad.decode_error, /out of range|outside|beyond/i);
    await smsc.stop();
});

test('raw mode --no-bind: requests before a bind get ESME_RINVBNDSTS', async () => {
    const smsc = await startSmsc();
    const submit = P.pduBuild('submit_sm', { short_message_text: 'x' }, 3).toBuffer().toString('hex');
    const r = await runClient(smsc.port, ['raw', '--no-bind', '--linger', '300'],
        `${submit}\n00000010000000150000000000000004\n`);
    assert.equal(r.code, 0);
    const got = r.lines.filter((l) => l.event === 'pdu').map((l) => [l.command, l.sequence_number, l.command_status]);
    assert.deepEqual(got, [['submit_sm_resp', 3, 4], ['enquire_link_resp', 4, 0]]);
    await smsc.stop();
});

test('raw mode: a command_length below 16 makes smsc.js drop the link', async () => {
    const smsc = await startSmsc();
    const r = await runClient(smsc.port, ['raw', '--linger', '2000'], '0000000c0000001500000000\n');
    assert.equal(r.code, 0);
    assert.ok(r.lines.find((l) => l.event === 'close'));
    const e = await smsc.waitFor(isEvent('error', { session: 1 }));
    assert.match(e.reason, /command_length 12 is below 16/);
    await smsc.stop();
});

// ---------------------------------------------------------------- lifetime

test('peers exit on stdin EOF and on quit', async () => {
    const smsc = await startSmsc();
    const t0 = Date.now();
    assert.equal((await smsc.stop()).code, 0);
    assert.ok(Date.now() - t0 < 2000);
    assert.ok(smsc.lines.find((l) => l.event === 'stats'));
    const s2 = await startSmsc();
    s2.send({ cmd: 'quit' });
    assert.equal((await s2.exited).code, 0);
    const s3 = await startSmsc(['--max-time', '300']);
    assert.equal((await s3.exited).code, 1);
    const b = new Proc('bench_server.js', []);
    await b.waitFor(isEvent('listening'));
    assert.equal((await b.stop()).code, 0);
    const cl = await runClient(1, ['interop', '--timeout', '300']);
    assert.equal(cl.code, 1);
    assert.match(cl.result.reason, /ECONNREFUSED|timed out/);
});

// ---------------------------------------------------------------- bench_server

// A windowed load of n submit_sm over one bind; resolves with the rate.
function load(port, n, window) {
    return new Promise((resolve, reject) => {
        const s = P.smpp.connect({ host: '127.0.0.1', port });
        const ids = new Set();
        let sent = 0, got = 0, t0;
        const timer = setTimeout(() => { s.destroy(); reject(new Error(`load: ${got}/${n} after 20 s`)); }, 20000);
        const pump = () => {
            while (sent < n && sent - got < window) {
                sent++;
                s.submit_sm({ source_addr: '923001234567', destination_addr: '789',
                    short_message: Buffer.from('bench') }, (resp) => {
                    assert.equal(resp.command_status, 0);
                    ids.add(resp.message_id);
                    if (++got === n) {
                        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
                        clearTimeout(timer);
                        s.unbind(() => { s.close(); resolve({ ms, ids: ids.size }); });
                    } else {
                        pump();
                    }
                });
            }
        };
        s.on('error', reject);
        s.on('connect', () => {
            s.socket.setNoDelay(true);
            s.bind_transceiver({ system_id: 'b', password: 'b', interface_version: 0x34 }, (r) => {
                assert.equal(r.command_status, 0);
                t0 = process.hrtime.bigint();
                pump();
            });
        });
    });
}

test('bench_server answers a windowed load', async (t) => {
    const b = new Proc('bench_server.js', []);
    const { port } = await b.waitFor(isEvent('listening'));
    const n = 20000;
    const { ms, ids } = await load(port, n, 64);
    assert.equal(ids, n, 'every message_id distinct');
    t.diagnostic(`bench_server: ${n} submit_sm in ${ms.toFixed(0)} ms = ${Math.round(n / ms * 1000)}/s ` +
        '(node load generator on the same 2 cores, window 64)');
    b.send({ cmd: 'stats' });
    const st = await b.waitFor(isEvent('stats'));
    assert.equal(st.submit_sm, n);
    assert.equal(st.binds, 1);
    assert.equal(b.lines.length, 2, 'no per-PDU output');
    await b.stop();
});
