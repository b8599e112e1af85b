guestfish --key foo:bar
