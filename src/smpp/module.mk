# smpp
