guestfish --vers
