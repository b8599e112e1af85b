guestunmount --fd=x g5
