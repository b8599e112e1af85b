guestunmount --short-options
