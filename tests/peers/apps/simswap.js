// SPDX-License-Identifier: ISC
//
// An operator's SIM-swap API in the shape of CAMARA "SIM Swap" (check):
//   POST /sim-swap/v0/check  Authorization: Bearer <token>
//   {"phoneNumber": "+923001234567", "maxAge": 72}  ->  200 {"swapped": true|false}
// --swapped N (repeatable) lists the numbers whose SIM changed within any
// maxAge; --token T the bearer token wanted (401 otherwise).  One JSON line
// per question on stdout ({"event":"check","phoneNumber":..,"maxAge":..});
// stdin {"cmd":"delay","ms":N} answers that late.  Exits at stdin's end.
'use strict';

const http = require('http');
const readline = require('readline');

let port = 0, token = '', delay = 0;
const swapped = new Set();
for (let i = 2; i < process.argv.length; i += 2) {
    const v = process.argv[i + 1];
    if (process.argv[i] === '--port') port = Number(v);
    else if (process.argv[i] === '--token') token = v;
    else if (process.argv[i] === '--swapped') swapped.add(v);
    else { process.stderr.write('usage: simswap.js [--port N] [--token T] [--swapped +92...]\n'); process.exit(2); }
}
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/sim-swap/v0/check') {
            res.writeHead(404); res.end(); return;
        }
        if (token && req.headers.authorization !== 'Bearer ' + token) {
            say({ event: 'refused' });
            res.writeHead(401); res.end(); return;
        }
        let q;
        try { q = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (e) { q = null; }
        if (!q || typeof q.phoneNumber !== 'string') {
            res.writeHead(400); res.end(); return;
        }
        say({ event: 'check', phoneNumber: q.phoneNumber, maxAge: q.maxAge });
        setTimeout(() => {
            if (res.destroyed) return;
            res.writeHead(200, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ swapped: swapped.has(q.phoneNumber) }));
        }, delay);
    });
});
server.listen(port, '127.0.0.1', () => say({ event: 'listening', port: server.address().port }));
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
    try {
        const m = JSON.parse(line);
        if (m.cmd === 'delay') delay = Number(m.ms) || 0;
        say({ event: 'ok', cmd: m.cmd });
    } catch (e) { /* not a command */ }
});
rl.on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(1), 120000).unref();
