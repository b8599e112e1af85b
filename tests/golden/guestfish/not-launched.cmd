guestfish mount /dev/sda1 / </dev/null
