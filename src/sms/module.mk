# sms
