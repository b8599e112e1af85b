guestmount -V
