guestunmount --long-options
