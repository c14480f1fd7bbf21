# ussd
