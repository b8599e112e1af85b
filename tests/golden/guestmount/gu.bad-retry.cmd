guestunmount --retry=64 g5
