// SPDX-License-Identifier: ISC
//
// Example department app: Board of Revenue, land-record (fard) request
// status by request number.  It needs no identity: a request number is
// what the counter gave the applicant.  See lib/dept_app.js.
'use strict';

const { run } = require('./lib/dept_app');

const REQUESTS = {
    1001: 'ready for collection at the Arazi Record Centre',
    1002: 'waiting for the patwari\'s report',
};

run('fard', (f) => {
    const s = f.text === '' ? [] : f.text.split('*');
    if (s.length === 0)
        return 'CON Board of Revenue\nEnter your fard request number';
    const st = REQUESTS[s[0]];
    return st ? `END Request ${s[0]}: ${st}.` : 'END No request with that number.';
});
