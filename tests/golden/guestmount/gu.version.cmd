guestunmount -V
