guestfish --bogus
