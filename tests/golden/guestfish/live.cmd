guestfish --live
