guestunmount --help
