// SPDX-License-Identifier: ISC
//
// Example department app: Health insurance (Sehat Card), eligibility.
// Coverage is personal, so the app answers only a caller kpass identified:
// citizenId is the Health department's pseudonym of the caller's CNIC,
// which the department matched to its beneficiary list beforehand (here:
// any identified caller is covered).  See lib/dept_app.js.
'use strict';

const { run } = require('./lib/dept_app');

const HOSPITALS = {
    peshawar: 'Lady Reading Hospital; Hayatabad Medical Complex',
    swat: 'Saidu Group of Teaching Hospitals',
};

run('sehat', (f) => {
    if (!f.citizenId)
        return 'END Sehat Card: enter your own CNIC when asked, then try again.';
    const s = f.text === '' ? [] : f.text.split('*');
    if (s.length === 0)
        return 'CON Sehat Card\n1 Am I covered?\n2 Hospitals near me';
    if (s[0] === '1')
        return 'END You are covered: up to Rs 1,000,000 per family a year.';
    if (s[0] === '2' && s.length === 1)
        return 'CON Enter your district';
    if (s[0] === '2')
        return 'END ' + (HOSPITALS[s[1].toLowerCase()] || 'Any empanelled hospital: ask at the desk.');
    return 'CON Sehat Card\n1 Am I covered?\n2 Hospitals near me';
});
