guestmount --short-options
