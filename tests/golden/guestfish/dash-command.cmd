guestfish -- -nosuch : echo after
