// SPDX-License-Identifier: ISC
//
// What a department's USSD app must do with kpass's requests, written as a
// department would (node's own http and crypto modules, nothing from kpass):
// read the form, check the signature, refuse forgeries, replays and stale
// requests, answer "CON ..." or "END ...".  doc/departments.md explains the
// protocol; the three example apps beside this file use it.
//
//   X-Kpass-Timestamp: <unix seconds>
//   X-Kpass-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// --tls-cert FILE --tls-key FILE serve HTTPS instead of HTTP.
// Lines on stdout, one JSON object each (tests read them):
//   {"event":"listening","port":N}
//   {"event":"request","app":..,"fields":{..},"ts":..,"sig":..,"body":..}
//   {"event":"refused","why":"forged"|"replayed"|"stale"|"unsigned"}
// stdin takes {"cmd":"delay","ms":N} (answer that late), {"cmd":"status",
// "code":N} (answer with that HTTP status), {"cmd":"quit"}.  The app exits
// at stdin's end, on SIGTERM, and after --max-time MS (default 600000).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const readline = require('readline');

const WINDOW_S = 300; // a request older or newer than this is refused

function options(argv) {
    const o = { port: 0, secretFile: '', maxTime: 600000, tlsCert: '', tlsKey: '' };
    for (let i = 2; i < argv.length; i++) {
        const v = argv[i + 1];
        if (argv[i] === '--port') o.port = Number(v), i++;
        else if (argv[i] === '--secret-file') o.secretFile = v, i++;
        else if (argv[i] === '--max-time') o.maxTime = Number(v), i++;
        else if (argv[i] === '--tls-cert') o.tlsCert = v, i++;
        else if (argv[i] === '--tls-key') o.tlsKey = v, i++;
        else {
            process.stderr.write(`usage: ${argv[1]} --secret-file F [--port N] [--max-time MS]\n`);
            process.exit(2);
        }
    }
    if (!o.secretFile) {
        process.stderr.write('--secret-file is required\n');
        process.exit(2);
    }
    return o;
}

function say(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

// The check every department app makes before reading the form.
function verify(secret, headers, body, seen, now) {
    const ts = headers['x-kpass-timestamp'];
    const sig = headers['x-kpass-signature'];
    if (!ts || !sig || !/^\d{1,12}$/.test(ts) || !sig.startsWith('v1='))
        return 'unsigned';
    const mac = crypto.createHmac('sha256', secret).update(ts + '.').update(body).digest();
    const got = Buffer.from(sig.slice(3), 'hex');
    if (got.length !== mac.length || !crypto.timingSafeEqual(got, mac))
        return 'forged';
    if (Math.abs(now - Number(ts)) > WINDOW_S)
        return 'stale';
    const nonce = new URLSearchParams(body.toString('utf8')).get('nonce') || '';
    if (nonce.length < 16 || seen.has(nonce))
        return 'replayed';
    seen.set(nonce, Number(ts));
    for (const [n, t] of seen) // forget what the window refuses anyway
        if (now - t > WINDOW_S) seen.delete(n);
    return null;
}

// Run an app: answer(fields) returns the "CON ..." / "END ..." text.
function run(name, answer) {
    const o = options(process.argv);
    const secret = fs.readFileSync(o.secretFile).toString('utf8').replace(/\r?\n$/, '');
    const seen = new Map();
    let delay = 0, status = 200;

    // HTTPS with --tls-cert/--tls-key (kpass checks the certificate), else HTTP.
    const make = o.tlsCert
        ? (h) => https.createServer({ cert: fs.readFileSync(o.tlsCert), key: fs.readFileSync(o.tlsKey) }, h)
        : (h) => http.createServer(h);
    const server = make((req, res) => {
        const chunks = [];
        let size = 0;
        req.on('data', (c) => {
            size += c.length;
            if (size > 8192) req.destroy();
            else chunks.push(c);
        });
        req.on('end', () => {
            const body = Buffer.concat(chunks);
            const why = req.method !== 'POST' ? 'unsigned'
                : verify(secret, req.headers, body, seen, Math.floor(Date.now() / 1000));
            if (why) {
                say({ event: 'refused', app: name, why });
                res.writeHead(401, { 'Content-Type': 'text/plain' });
                res.end(why + '\n');
                return;
            }
            const fields = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
            say({ event: 'request', app: name, fields,
                ts: req.headers['x-kpass-timestamp'], sig: req.headers['x-kpass-signature'],
                body: body.toString('utf8') });
            const reply = answer(fields);
            setTimeout(() => {
                if (res.destroyed) return;
                res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
                res.end(reply);
            }, delay);
        });
    });
    server.listen(o.port, '127.0.0.1', () => say({ event: 'listening', port: server.address().port }));

    const quit = () => process.exit(0);
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (line) => {
        let m;
        try { m = JSON.parse(line); } catch (e) { return; }
        if (m.cmd === 'delay') delay = Number(m.ms) || 0;
        else if (m.cmd === 'status') status = Number(m.code) || 200;
        else if (m.cmd === 'quit') quit();
        say({ event: 'ok', cmd: m.cmd });
    });
    rl.on('close', quit);
    process.on('SIGTERM', quit);
    process.on('SIGINT', quit);
    if (o.maxTime > 0) setTimeout(() => process.exit(1), o.maxTime).unref();
}

module.exports = { run, verify };
