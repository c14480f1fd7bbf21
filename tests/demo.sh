#!/bin/sh
# SPDX-License-Identifier: ISC
#
# The kpass demo (make demo): a database and keys under ./var, the sample
# directory and demo citizens, kpassd on 127.0.0.1, then a citizen finding a
# service and an office by USSD, a department's app (Excise, tax due) over
# USSD, a code by SMS, and an office desk verification over HTTP with a QR
# card, which the Excise department hears of by a signed callback and the
# citizen is asked about ("was this you?") by a USSD push; at last kpassd
# stops on SIGTERM.
# Everything talks real SMPP and HTTP over loopback.  Run it again at will:
# it starts from a fresh ./var each time.
set -eu

BUILD=${1:-build}
TOP=$(pwd)
VAR=$TOP/var
KPASS="$TOP/$BUILD/kpass -c $VAR/kpassd.conf"
SMPP_PORT=${KP_DEMO_SMPP_PORT:-2775}
HTTP_PORT=${KP_DEMO_HTTP_PORT:-8780}
# Ahmad Khan asks for a code by USSD; Ayesha Bibi is verified at a desk
# (one citizen may ask for one code a minute: [otp] issue_gap).
USSD_MSISDN=+923000000101
USSD_LAST4=0011
CITIZEN_CNIC=10000-0000002-2
CITIZEN_MSISDN=+923110000102
OFFICE=PSHEX1

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pid=
app_pid=
stop() {
    for p in ${cb_pid:-} ${gw_pid:-}; do
        kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
    done
    if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
        kill -TERM "$app_pid"
        wait "$app_pid" || true
    fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        wait "$pid" || true
    fi
}
trap stop EXIT INT TERM

say "A fresh database and key folder in ./var"
rm -rf "$VAR"
mkdir -p "$VAR"
sed -e "s|^database = .*|database = $VAR/kpass.db|" \
    -e "s|^keys = .*|keys = $VAR/keys|" \
    -e "s|^listen = 127.0.0.1:2775|listen = 127.0.0.1:$SMPP_PORT|" \
    -e "s|^menus = .*|menus = $VAR/menus|" \
    -e "s|^listen = 127.0.0.1:8780|listen = 127.0.0.1:$HTTP_PORT|" \
    "$TOP/etc/kpassd.conf" > "$VAR/kpassd.conf"
# The shipped menus, linked to the example department services
# (contrib/menus/apps.menu says how a deployment does the same).
cp -r "$TOP/menus" "$VAR/menus"
cp "$TOP/contrib/menus/apps.menu" "$VAR/menus/"
printf '  option "Department services"   ur "محکموں کی خدمات"      -> dept_apps\n' > "$VAR/apps.line"
sed -i '/^  option "Help" /r '"$VAR/apps.line" "$VAR/menus/main.menu"
# "Was this you?" pushes go over the gateway partner "pushgw" (below).
sed -i 's|^\[ussd\]$|[ussd]\npush_partner = pushgw|' "$VAR/kpassd.conf"
$KPASS init
$KPASS import seed "$TOP/etc/seed"
$KPASS import citizens "$TOP/etc/seed/citizens.csv"

say "Partners: the operator's USSD gateway (here: kpass phone) carries SMS too"
printf 'phone123\n' > "$VAR/phone.pw"
chmod 600 "$VAR/phone.pw"
$KPASS partner add phone --password-file "$VAR/phone.pw" --sms --max-binds 8
printf 'push123\n' > "$VAR/pushgw.pw"
chmod 600 "$VAR/pushgw.pw"
$KPASS partner add pushgw --password-file "$VAR/pushgw.pw"
$KPASS partner list

say "An office desk and a staff member (PIN 4821), and the citizen's QR card"
$KPASS desk add $OFFICE --name "Counter 1" --token-file "$VAR/desk.token"
printf '4821\n' | $KPASS staff add $OFFICE PSH-0042 --name "Sana Gul"
$KPASS qr issue $CITIZEN_CNIC --png "$VAR/card.png" --terminal | tee "$VAR/card.txt"

say "kpassd starts"
$TOP/$BUILD/kpassd -c "$VAR/kpassd.conf" 2> "$VAR/kpassd.log" &
pid=$!
i=0
until $KPASS phone --password-file "$VAR/phone.pw" --listen 0 >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 50 ] || { cat "$VAR/kpassd.log"; exit 1; }
    sleep 0.1
done

PHONE="$KPASS phone --password-file $VAR/phone.pw --msisdn $CITIZEN_MSISDN"

say "USSD: find a service (Health > Health > first service > About)"
$PHONE --script '*789#,1,2,1,1,1'

say "USSD: find an office by kind, division and district (*789*3#: hospitals, Peshawar)"
$PHONE --script '*789*3#,1,1,1'

say "USSD: another citizen asks for a verification code (last 4 CNIC digits $USSD_LAST4); it comes by SMS"
$KPASS phone --password-file "$VAR/phone.pw" --msisdn $USSD_MSISDN \
    --script "*789*4*1#,$USSD_LAST4" --wait-sms 1

say "A department's app over USSD: Excise & Taxation, vehicle token tax (tests/peers/apps/excise.js)"
if command -v node >/dev/null 2>&1; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$VAR/excise.secret"
    chmod 600 "$VAR/excise.secret"
    # The app's end of the pipe stays open while it runs (it exits at EOF).
    mkfifo "$VAR/excise.in"
    node "$TOP/tests/peers/apps/excise.js" --secret-file "$VAR/excise.secret" \
        < "$VAR/excise.in" > "$VAR/excise.log" &
    app_pid=$!
    exec 9> "$VAR/excise.in"
    j=0
    until grep -q listening "$VAR/excise.log" 2>/dev/null; do
        j=$((j + 1)); [ $j -lt 50 ] || break; sleep 0.1
    done
    app_port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$VAR/excise.log" | head -1)
    $KPASS app add excise --department EXCISE --url "http://127.0.0.1:$app_port/ussd" \
        --secret-file "$VAR/excise.secret" --timeout 3s --service-code '*789#'
    $KPASS app list
    echo "The citizen dials *789*8*1# (Department services, Vehicle token tax), types the CNIC"
    echo "(kpass sends Excise only a pseudonym of it), the vehicle number, then 1 How to pay:"
    $PHONE --script "*789*8*1#,$CITIZEN_CNIC,LEA1234,1"
    echo "What the Excise app received (signed; no phone number, no CNIC):"
    sed -n 's/.*"fields":\({[^}]*}\).*/  \1/p' "$VAR/excise.log"
    exec 9>&-
else
    echo "(node is not installed: the example app cannot run; see doc/departments.md)"
fi

cb_pid=
gw_pid=
if command -v node >/dev/null 2>&1; then
    say "Excise subscribes to identity verifications; an operator gateway carries pushes"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$VAR/excise-cb.secret"
    chmod 600 "$VAR/excise-cb.secret"
    cb_port=$((HTTP_PORT + 7))
    mkfifo "$VAR/cb.in" "$VAR/gw.in"
    node "$TOP/tests/peers/apps/dept_callback.js" --port $cb_port \
        --secret-file "$VAR/excise-cb.secret" < "$VAR/cb.in" > "$VAR/callbacks.log" &
    cb_pid=$!
    exec 8> "$VAR/cb.in"
    $KPASS department add EXCISE --token-file "$VAR/excise.token" \
        --callback "http://127.0.0.1:$cb_port/kpass" --secret-file "$VAR/excise-cb.secret"
    $KPASS department subscribe EXCISE identity $OFFICE
    # The gateway answers the push as the citizen would: "2 It was not me".
    node "$TOP/tests/peers/push_gw.js" --port $SMPP_PORT --system-id pushgw --password push123 \
        --answer 2 < "$VAR/gw.in" > "$VAR/push.log" &
    gw_pid=$!
    exec 7> "$VAR/gw.in"
    sleep 0.5
fi

say "The office desk: sign in, scan the card, send a code, confirm it"
# The citizen's phone waits for the desk's code in the background.
$PHONE --listen 30 --json > "$VAR/phone.sms" &
listener=$!
sleep 0.5
{
    printf 'PSH-0042\n4821\n'
    grep '^KP1:' "$VAR/card.txt"
    printf '1\n'                       # purpose: the first in the list
    j=0
    until grep -q '"sms"' "$VAR/phone.sms" 2>/dev/null; do
        j=$((j + 1)); [ $j -lt 100 ] || break; sleep 0.1
    done
    sed -n 's/.*is \([0-9]\{6\}\)\..*/\1/p' "$VAR/phone.sms" | head -1
    printf 'q\n'
} | $KPASS desk run --token-file "$VAR/desk.token" --url "http://127.0.0.1:$HTTP_PORT"
kill "$listener" 2>/dev/null || true
wait "$listener" 2>/dev/null || true
echo "The citizen's phone received:"
sed -n 's/.*"sms":"\([^"]*\)".*/  \1/p' "$VAR/phone.sms"

if [ -n "$cb_pid" ]; then
    say "Excise received the signed verification callback (with the KPR1 receipt)"
    j=0
    until grep -q '"callback"' "$VAR/callbacks.log" 2>/dev/null; do
        j=$((j + 1)); [ $j -lt 50 ] || break; sleep 0.1
    done
    sed -n 's/.*"body":\({.*}\)}$/  \1/p' "$VAR/callbacks.log"
    $KPASS webhook list
    say "\"Was this you?\": the push on the citizen's phone, and the answer \"It was not me\""
    j=0
    until grep -q '"end"' "$VAR/push.log" 2>/dev/null; do
        j=$((j + 1)); [ $j -lt 50 ] || break; sleep 0.1
    done
    sed -n 's/.*"text":"\([^"]*\)".*/  \1/p' "$VAR/push.log" | sed 's/\\n/ | /g'
    $KPASS audit show --event verification.disputed || true
    exec 7>&- 8>&-
fi

say "The audit log, the SMS outbox, some metrics"
$KPASS audit verify
$KPASS sms list --limit 5
curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
    grep -E '^kpass_(codes_total|ussd_hops_total|smpp_binds|ussd_push_total|app_requests_total)' || true

say "kpassd stops on SIGTERM (unbinds its links, exits 0)"
stop
pid=
tail -n 3 "$VAR/kpassd.log"
echo
echo "Done.  ./var holds the database, keys and logs; see README.md to try it yourself."
