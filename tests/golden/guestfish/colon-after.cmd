guestfish echo a :
