guestfish --rw --ro echo ok
