guestfish < scripts/shell.gf 2>&1 | sed 's/[0-9][0-9]*\.[0-9][0-9] seconds/N seconds/'
