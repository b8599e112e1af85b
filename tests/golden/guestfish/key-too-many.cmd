guestfish --key a:key:b:c
