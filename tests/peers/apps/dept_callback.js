// SPDX-License-Identifier: ISC
//
// A department's callback receiver (doc/departments.md): kpass POSTs a
// notice's delivery state or a verification's signed receipt here.  It
// checks the signature as an app does (lib/dept_app.js verify(): the
// nonce is the X-Kpass-Delivery header here, since the body is JSON) and
// prints one JSON line per callback:
//   {"event":"listening","port":N}
//   {"event":"callback","delivery":"kpass-7","body":{...}}
//   {"event":"refused","why":"forged"|...}
// stdin: {"cmd":"status","code":N} answers with that status from now on.
// With --trust FILE (kpass keys export-public), a callback's KPR1 receipt
// is checked too (doc/kp1-token.md section 5) and the line says
// "receipt_ok":true|false.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const readline = require('readline');

let port = 0, secretFile = '', maxTime = 120000, trustFile = '';
for (let i = 2; i < process.argv.length; i += 2) {
    const v = process.argv[i + 1];
    if (process.argv[i] === '--port') port = Number(v);
    else if (process.argv[i] === '--secret-file') secretFile = v;
    else if (process.argv[i] === '--max-time') maxTime = Number(v);
    else if (process.argv[i] === '--trust') trustFile = v;
    else { process.stderr.write('usage: dept_callback.js --secret-file F [--port N]\n'); process.exit(2); }
}
const secret = fs.readFileSync(secretFile).toString('utf8').replace(/\r?\n$/, '');
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
let status = 200;

function check(headers, body) {
    const ts = headers['x-kpass-timestamp'], sig = headers['x-kpass-signature'];
    if (!ts || !sig || !/^\d{1,12}$/.test(ts) || !sig.startsWith('v1='))
        return 'unsigned';
    const mac = crypto.createHmac('sha256', secret).update(ts + '.').update(body).digest();
    const got = Buffer.from(sig.slice(3), 'hex');
    if (got.length !== mac.length || !crypto.timingSafeEqual(got, mac))
        return 'forged';
    if (Math.abs(Date.now() / 1000 - Number(ts)) > 300)
        return 'stale';
    return null;
}

// Ed25519 public keys of the trust list that still verify, by key id.
function trustedKeys() {
    const keys = {};
    if (!trustFile) return keys;
    for (const line of fs.readFileSync(trustFile, 'utf8').split('\n')) {
        const f = line.trim().split(/\s+/);
        if (f.length === 5 && f[0] === 'key' && (f[3] === 'active' || f[3] === 'verify'))
            keys[f[1].toLowerCase()] = crypto.createPublicKey({
                key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'),
                    Buffer.from(f[4], 'hex')]), format: 'der', type: 'spki' });
    }
    return keys;
}

// A KPR1 receipt: "KPR1:" + base64url(body(48) || Ed25519 signature(64)).
function receiptOk(text) {
    if (typeof text !== 'string' || !text.startsWith('KPR1:') || text.length !== 155) return false;
    const raw = Buffer.from(text.slice(5), 'base64url');
    if (raw.length !== 112 || raw[0] !== 1 || (raw[47] & 0xf8)) return false;
    const body = raw.subarray(0, 48), key = trustedKeys()[body.subarray(1, 5).toString('hex')];
    if (!key) return false;
    return crypto.verify(null, Buffer.concat([Buffer.from('KPR1-receipt\0'), body]), key,
        raw.subarray(48));
}

const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        const body = Buffer.concat(chunks);
        const why = check(req.headers, body);
        if (why) {
            say({ event: 'refused', why });
            res.writeHead(401);
            res.end();
            return;
        }
        let parsed = null;
        try { parsed = JSON.parse(body.toString('utf8')); } catch (e) { parsed = null; }
        const line = { event: 'callback', delivery: req.headers['x-kpass-delivery'] || '', status, body: parsed };
        if (trustFile && parsed && parsed.receipt !== undefined) line.receipt_ok = receiptOk(parsed.receipt);
        say(line);
        res.writeHead(status);
        res.end();
    });
});
server.listen(port, '127.0.0.1', () => say({ event: 'listening', port: server.address().port }));
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
    try {
        const m = JSON.parse(line);
        if (m.cmd === 'status') status = Number(m.code) || 200;
        if (m.cmd === 'quit') process.exit(0);
        say({ event: 'ok', cmd: m.cmd });
    } catch (e) { /* not a command */ }
});
rl.on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
if (maxTime > 0) setTimeout(() => process.exit(1), maxTime).unref();
