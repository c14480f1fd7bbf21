// SPDX-License-Identifier: ISC
//
// Example department app: Excise & Taxation, vehicle token tax due.
// The dialog: a vehicle number, then the tax due, then how to pay.  The
// department links the owner to its records by kpass's citizenId (a
// pseudonym for Excise only); without one it still answers for the vehicle
// but cannot say whether the caller owns it.  See lib/dept_app.js.
'use strict';

const { run } = require('./lib/dept_app');

// The department's own records, by vehicle number (a test's fixture).
const VEHICLES = {
    LEA1234: { kind: 'car, 1300cc', due: 4500 },
    PSH777: { kind: 'motorcycle, 125cc', due: 0 },
};

const T = {
    en: {
        ask: 'CON Excise & Taxation\nEnter vehicle number (e.g. LEA1234)',
        unknown: 'END No vehicle with that number. Check it and dial again.',
        due: (v, n, owner) => `CON ${n}: ${v.kind}\nToken tax due: Rs ${v.due.toLocaleString('en')}` +
            `${owner ? '\nOwner verified' : ''}\n1 How to pay\n2 Done`,
        paid: (n) => `END ${n}: no token tax due. Thank you.`,
        pay: 'END Pay at any Bank of Khyber branch or by 1LINK bill payment (Excise KP).',
        done: 'END Thank you.',
    },
    ur: {
        ask: 'CON ایکسائز و ٹیکسیشن\nگاڑی کا نمبر درج کریں',
        unknown: 'END اس نمبر کی کوئی گاڑی نہیں۔',
        due: (v, n, owner) => `CON ${n}\nٹوکن ٹیکس: ${v.due} روپے${owner ? '\nمالک کی تصدیق' : ''}\n1 ادائیگی\n2 ختم`,
        paid: (n) => `END ${n}: کوئی ٹیکس واجب نہیں۔`,
        pay: 'END بینک آف خیبر کی کسی بھی برانچ میں ادا کریں۔',
        done: 'END شکریہ۔',
    },
};

run('excise', (f) => {
    const t = T[f.language] || T.en;
    const steps = f.text === '' ? [] : f.text.split('*');
    if (steps.length === 0)
        return t.ask;
    const n = steps[0].toUpperCase().replace(/[^A-Z0-9]/g, '');
    const v = VEHICLES[n];
    if (!v)
        return t.unknown;
    if (v.due === 0)
        return t.paid(n);
    if (steps.length === 1)
        return t.due(v, n, f.citizenId !== '');
    return steps[1] === '1' ? t.pay : steps[1] === '2' ? t.done : t.due(v, n, f.citizenId !== '');
});
