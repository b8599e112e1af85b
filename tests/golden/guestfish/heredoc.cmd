guestfish < scripts/heredoc.gf
