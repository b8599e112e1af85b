guestfish --listen echo hi
