guestfish --key foo
