guestmount --long-options
