guestfish --remote=2147483000 echo x
