guestfish --cmd-help=QUIT
