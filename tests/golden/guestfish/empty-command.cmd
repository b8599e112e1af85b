guestfish :
